import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request } from 'express';

/**
 * An answer other than success: its status and a message that is safe to show any client, with
 * fields for the client beside `error` (e.g. a validation's problems; not logged).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The fields body-parser, raw-body, zlib and the router put on what they throw. */
interface ThrownByExpress {
  name?: unknown;
  status?: unknown;
  type?: unknown;
  limit?: unknown;
  charset?: unknown;
  encoding?: unknown;
  code?: unknown;
  expose?: unknown;
  message?: unknown;
}

/** Client-chosen text (a charset, an encoding, a path) shown back bounded and quoted. */
const quoted = (value: unknown) => JSON.stringify(String(value).slice(0, 100));

/**
 * The body parsers' errors by their `type`, in words that say what was wrong. Their own messages
 * are not used: a JSON parse error quotes the body, which must not reach the log.
 */
const parserProblems = new Map<string, (error: ThrownByExpress, request: Request) => string>([
  [
    'entity.too.large',
    (error) => `the request body is larger than this endpoint's limit of ${Number(error.limit)} bytes`,
  ],
  ['request.size.invalid', () => 'the request body is not as long as its Content-Length says'],
  ['request.aborted', () => 'the request was aborted before its body arrived'],
  ['charset.unsupported', (error) => `unsupported charset ${quoted(error.charset)}`],
  ['encoding.unsupported', (error) => `unsupported Content-Encoding ${quoted(error.encoding)}`],
  ['entity.parse.failed', (_, request) => `the request body is not valid ${request.is('json') ? 'JSON' : 'form data'}`],
  ['parameters.too.many', () => 'the form has too many fields'],
]);

/** Status, words and headers for the client; anything not meant for a client is a 500 that says nothing more. */
function answerFor(error: unknown, request: Request): HttpError {
  if (error instanceof HttpError) return error;
  const thrown = (typeof error === 'object' && error !== null ? error : {}) as ThrownByExpress;
  const status = typeof thrown.status === 'number' && thrown.status >= 400 && thrown.status < 500 ? thrown.status : 500;
  if (status === 500) return new HttpError(500, 'internal error (the engine logged it)');
  const problem = typeof thrown.type === 'string' ? parserProblems.get(thrown.type) : undefined;
  if (problem) return new HttpError(status, problem(thrown, request));
  if (typeof thrown.code === 'string' && thrown.code.startsWith('Z_'))
    return new HttpError(
      status,
      `the request body does not decompress as its Content-Encoding ${quoted(request.headers['content-encoding'])} says`,
    );
  if (thrown.name === 'URIError') return new HttpError(status, 'the path has a malformed percent-escape');
  if (thrown.expose === true && typeof thrown.message === 'string')
    return new HttpError(status, thrown.message.slice(0, 200));
  return new HttpError(status, STATUS_CODES[status] ?? 'bad request');
}

/** The request's path for a log line: no query (no secrets ride there, and none should), bounded, quoted. */
const pathOf = (request: Request) => quoted(request.originalUrl.split('?')[0]);

/** One error the API answered: what its log entry holds. */
export interface ApiErrorEntry {
  status: number;
  method: string;
  /** Quoted and bounded, without the query. */
  path: string;
  /** The words the client got. */
  message: string;
  /** A 500's stack, which the client did not get. */
  stack?: string;
}

/** An entry as one line of text: `api <status> <method> <path>: <message>`, the stack of a 500 below. */
export const formatApiError = (entry: ApiErrorEntry): string =>
  `api ${entry.status} ${entry.method} ${entry.path}: ${entry.message}${entry.stack === undefined ? '' : `\n${entry.stack}`}`;

/**
 * The one place an error becomes an answer: JSON `{error}` naming what was wrong, never a stack or
 * a file path, and one log entry per error. The entry holds the method, path, status and the words
 * the client got (plus the stack of a 500, which the client did not get); never headers (tokens,
 * cookies) or bodies.
 */
export function errorHandler(log: (entry: ApiErrorEntry) => void): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const answer = answerFor(error, request);
    log({
      status: answer.status,
      method: request.method,
      path: pathOf(request),
      message: answer.message,
      ...(answer.status === 500
        ? { stack: error instanceof Error ? (error.stack ?? error.message) : String(error) }
        : {}),
    });
    if (response.headersSent) {
      // a half-sent answer cannot be turned into an error; cutting it short is the honest signal
      response.destroy();
      return;
    }
    response
      .status(answer.status)
      .set(answer.headers)
      .json({ error: answer.message, ...answer.details });
  };
}

/** Every path no route answers: a JSON 404 like every other error. */
export function notFound(request: Request): never {
  throw new HttpError(404, `nothing at ${request.method} ${pathOf(request)}`);
}

/**
 * A workflow that failed on what the client sent, as a 422 naming the innermost cause: a failed
 * workflow's own message is generic, and its causes are the activities' words.
 */
export function workflowRefusal(what: string, error: Error): HttpError {
  let cause: Error = error;
  while (cause.cause instanceof Error) cause = cause.cause;
  return new HttpError(422, `${what}: ${cause.message}`);
}
