import express, { type Express } from 'express';
import { checkHealth, type HealthProbe } from './health.js';

export interface HttpAppOptions {
  health: Record<string, HealthProbe>;
}

/** The engine's HTTP API; connectors mount their routes here as they arrive. */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_request, response) => {
    const report = await checkHealth(options.health);
    response.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  return app;
}
