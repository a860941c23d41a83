import { wipe } from '../crypto/bytes.js';
import { CryptoError } from '../crypto/errors.js';
import { normalizeTraceCode, TRACE_ID_LENGTH } from '../crypto/trace-step.js';

/**
 * The exports of native/wasm (crate yilian-trace-id-wasm): native's own trace-id source compiled
 * to WebAssembly, so a browser computes the public id without sending the code anywhere and
 * without a second implementation of Rescue-Prime. Layout: docs/formats.md § Trace id in the browser.
 */
interface TraceIdExports {
  memory: { buffer: ArrayBuffer };
  code_buffer(): number;
  code_buffer_len(): number;
  id_buffer(): number;
  trace_id(length: number): number;
}

interface WasmInstance {
  exports: Record<string, unknown>;
}

/** The part of the WebAssembly JS API used here: the DOM's types declare it, the engine's Node types do not. */
interface WasmApi {
  instantiate(bytes: Uint8Array): Promise<{ instance: WasmInstance }>;
  instantiateStreaming(response: Response | PromiseLike<Response>): Promise<{ instance: WasmInstance }>;
}

function traceIdExports({ exports }: WasmInstance): TraceIdExports {
  const memory = exports.memory as { buffer?: unknown } | undefined;
  if (!(memory?.buffer instanceof ArrayBuffer)) {
    throw new Error('the trace id module exports no memory: not native/wasm’s build');
  }
  for (const name of ['code_buffer', 'code_buffer_len', 'id_buffer', 'trace_id'] as const) {
    if (typeof exports[name] !== 'function') {
      throw new Error(`the trace id module does not export ${name}: not native/wasm’s build`);
    }
  }
  return exports as unknown as TraceIdExports;
}

/**
 * `traceId(code)` over an instance of the module: the same 32 bytes as native's `traceId`. The code
 * is normalised first (core's stricter rules, errors naming only a position), and its bytes are
 * zeroed in the module's memory and here before this returns.
 */
function traceIdOf(instance: WasmInstance): (code: string) => Uint8Array {
  const wasm = traceIdExports(instance);
  return (code) => {
    const text = new TextEncoder().encode(normalizeTraceCode(code));
    if (text.length > wasm.code_buffer_len()) throw new Error('the trace id module’s code buffer is too small');
    // a view per call: the memory's buffer is replaced if the module ever grows it
    new Uint8Array(wasm.memory.buffer, wasm.code_buffer(), text.length).set(text);
    const status = wasm.trace_id(text.length);
    wipe(text);
    if (status !== 0) throw new CryptoError('BAD_FORMAT', `the trace id module refused the code (status ${status})`);
    return new Uint8Array(wasm.memory.buffer, wasm.id_buffer(), TRACE_ID_LENGTH).slice();
  };
}

/**
 * Instantiates the module from its bytes or, in a browser, from the response that fetches it
 * (compiled while it downloads; served as application/wasm) and gives `traceId` for
 * core/trace/read-trace.ts.
 */
export async function loadTraceId(
  source: Uint8Array | Response | PromiseLike<Response>,
): Promise<(code: string) => Uint8Array> {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const { instance } = await (source instanceof Uint8Array
    ? wasm.instantiate(source)
    : wasm.instantiateStreaming(source));
  return traceIdOf(instance);
}
