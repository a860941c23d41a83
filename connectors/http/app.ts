import express, { type Express, type Router } from 'express';
import { checkHealth, type HealthProbe } from './health.js';
import { webAppRoutes } from './web-app.js';
import { errorHandler, formatApiError, notFound, type ApiErrorEntry } from './errors.js';

export interface HttpAppOptions {
  health: Record<string, HealthProbe>;
  /** Routers by the path they answer under, e.g. `{ '/inbox': inboxRoutes(…) }`. */
  routes?: Record<string, Router>;
  /** Where each error is logged, one entry per error; stderr, as a line, by default. */
  log?: (entry: ApiErrorEntry) => void;
  /** The built browser app (web/dist), served at every path that is not the API's. */
  webDist?: string;
  /** Other engines the browser app may call (the consortium's, for its wallet): its CSP's connect-src. */
  webConnectOrigins?: readonly string[];
}

/** Paths that are the API's even where no route answers (their 404 is JSON, never the app). */
const API_PATHS = ['/healthz', '/v1'];

const toStderr = (entry: ApiErrorEntry) => {
  console.error(formatApiError(entry));
};

/**
 * The engine's HTTP API: health, then the connectors' routes, then the browser app, then one JSON 404 and one error
 * handler behind all of them, so no error (a parser's, the router's, a route's) is answered by
 * express's own HTML page.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  // development mode would render errors with their stacks wherever ours did not answer first
  app.set('env', 'production');
  app.disable('x-powered-by');
  app.get('/healthz', async (_request, response) => {
    const report = await checkHealth(options.health);
    response.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  for (const [path, router] of Object.entries(options.routes ?? {})) app.use(path, router);
  if (options.webDist !== undefined)
    app.use(
      webAppRoutes(options.webDist, [...API_PATHS, ...Object.keys(options.routes ?? {})], options.webConnectOrigins),
    );
  app.use(notFound);
  app.use(errorHandler(options.log ?? toStderr));
  return app;
}
