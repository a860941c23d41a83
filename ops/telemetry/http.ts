import { createServer, type Server } from 'node:http';
import express, { type RequestHandler, type Router } from 'express';
import { countedErpRequests } from './intake.js';
import { bounded, httpSeconds, LABEL_VALUES, secondsSince } from './metrics.js';
import { metricsContentType, metricsText } from './runtime.js';

/** `GET /metrics` on the engine's API: the engine's series and the Temporal runtime's, as Prometheus text. */
export function metricsRoutes(): Router {
  const router = express.Router();
  router.get('/', async (_request, response) => {
    response.type(metricsContentType).send(await metricsText());
  });
  return router;
}

/** The ERP routes with each event POST counted by its answer. */
export function countedErpRoutes(routes: Router): Router {
  return express.Router().use(countedErpRequests, routes);
}

/**
 * `GET /metrics` for a host without the API (a worker or dispatcher host, ops/workers/main.ts):
 * the same text on a port of its own, and nothing else.
 */
export async function serveMetrics(host: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metricsText().then(
      (text) => response.writeHead(200, { 'content-type': metricsContentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('the metrics could not be read\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/**
 * The API's routers, each timed under the path it is mounted at: the route label is one of these
 * paths, never a request's own path (which carries addresses and event ids).
 */
export function timedRoutes(routes: Record<string, Router>): Record<string, Router> {
  return Object.fromEntries(
    Object.entries(routes).map(([route, router]) => {
      const timer: RequestHandler = (request, response, next) => {
        const start = performance.now();
        response.once('finish', () => {
          httpSeconds.observe(
            {
              route,
              method: bounded(LABEL_VALUES.method, request.method),
              status: `${Math.floor(response.statusCode / 100)}xx`,
            },
            secondsSince(start),
          );
        });
        next();
      };
      return [route, express.Router().use(timer, router)];
    }),
  );
}
