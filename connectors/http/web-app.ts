import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';

/**
 * The browser app's headers. Scripts only from the engine's origin ('wasm-unsafe-eval' lets them
 * compile WebAssembly, which the crypto in the browser needs); inline styles because Ant Design
 * writes its CSS-in-JS into <style> elements; requests only to the engine's own origin and to
 * `connectOrigins`, the consortium's other engines its wallet talks to (YILIAN_API_WALLET_ORIGINS).
 */
export function webAppHeaders(connectOrigins: readonly string[] = []): Readonly<Record<string, string>> {
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      ["connect-src 'self'", ...connectOrigins].join(' '),
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** The headers of an engine whose app talks to its own origin alone. */
export const WEB_APP_HEADERS = webAppHeaders();

const NOT_BUILT =
  'The Yilian web app is not built.\n\n' +
  'Build it with ./ops/bootstrap (it installs web/ and runs vite build), or by hand:\n' +
  '  native/build.sh --wasm web/src/generated/trace-id.wasm\n' +
  '  cd web && npm ci && npx vite build\n' +
  'then reload this page. The API is served as usual (/healthz, /v1/..., /docs/api).\n';

/**
 * The built web app (web/dist): its files, and index.html for any other GET navigation that is not
 * under one of `apiPaths`, so the app's own paths load it (the app routes in the browser). Every
 * other request falls through to the API's JSON 404.
 */
export function webAppRoutes(
  dist: string,
  apiPaths: readonly string[],
  connectOrigins: readonly string[] = [],
): Router {
  const headers = webAppHeaders(connectOrigins);
  const index = join(dist, 'index.html');
  const underApi = (path: string) => apiPaths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const router = express.Router();
  router.use((request, response, next) => {
    if (underApi(request.path)) {
      next('router');
      return;
    }
    response.set(headers);
    next();
  });
  // hashed asset names: a build never changes a file under an old name
  router.use('/assets', express.static(join(dist, 'assets'), { immutable: true, maxAge: '1y', index: false }));
  router.use(express.static(dist, { index: false }));
  router.get(/.*/, (request: Request, response: Response, next) => {
    // a navigation asks for HTML by name; a script or fetch asking for */* gets the JSON 404
    if (!(request.headers.accept ?? '').includes('text/html')) {
      next();
      return;
    }
    if (!existsSync(index)) {
      response.status(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
      return;
    }
    response.set('cache-control', 'no-cache').sendFile(index);
  });
  return router;
}
