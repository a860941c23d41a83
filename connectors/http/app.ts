import express, { type Express, type Router } from 'express';
import { checkHealth, type HealthProbe } from './health.js';
import { errorHandler, formatApiError, notFound, type ApiErrorEntry } from './errors.js';

export interface HttpAppOptions {
  health: Record<string, HealthProbe>;
  /** Routers by the path they answer under, e.g. `{ '/inbox': inboxRoutes(…) }`. */
  routes?: Record<string, Router>;
  /** Where each error is logged, one entry per error; stderr, as a line, by default. */
  log?: (entry: ApiErrorEntry) => void;
}

const toStderr = (entry: ApiErrorEntry) => {
  console.error(formatApiError(entry));
};

/**
 * The engine's HTTP API: health, then the connectors' routes, then one JSON 404 and one error
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
  app.use(notFound);
  app.use(errorHandler(options.log ?? toStderr));
  return app;
}
