/**
 * A script for a page's init (Playwright `addInitScript`) that counts the WebAssembly modules the
 * page instantiates in `window.__wasmInstances`: mcl-wasm must be initialised at most once a page.
 */
export const COUNT_WASM_INSTANCES = `
  window.__wasmInstances = 0;
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) { window.__wasmInstances += 1; return original.apply(this, args); };
  }`;

/** The count so far, from a page given COUNT_WASM_INSTANCES. */
export const WASM_INSTANCES = 'window.__wasmInstances';
