import { formatApiError, type ApiErrorEntry } from '../../connectors/http/errors.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { EngineState } from '../../activities/state/index.js';
import type { ContentStore } from '../../core/storage/index.js';
import { createHttpApp } from '../../connectors/http/app.js';
import { apiDocumentRoutes, traceRoutes } from '../../connectors/erp/routes.js';
import type { IntakeQueue } from '../../connectors/intake/queue.js';
import type { IntakeKeys } from '../../connectors/intake/sealed-job.js';
import { MAX_CODES_PER_REQUEST } from '../../connectors/erp/schemas.js';

/**
 * The ERP door as `./ops/up` serves it (`/v1/trace`, `/openapi.json`, `/docs/api`), on a free
 * loopback port, for tests and benchmarks; every error line the API logs goes to `log`.
 */
export async function startScratchErpApi(options: {
  state: EngineState;
  store: ContentStore;
  queue: IntakeQueue;
  client: Client;
  keys: IntakeKeys;
  log?: (line: string) => void;
}): Promise<{ url: string; close(): Promise<void> }> {
  const { openapi, docs } = apiDocumentRoutes();
  const app = createHttpApp({
    health: {},
    routes: { '/v1/trace': traceRoutes(options), '/openapi.json': openapi, '/docs': docs },
    ...(options.log ? { log: (entry: ApiErrorEntry) => options.log?.(formatApiError(entry)) } : {}),
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Fresh trace codes from `POST /v1/trace/codes`, as a manufacturer's ERP asks for them before it
 * prints packages: a production batch takes no other codes.
 */
export async function requestTraceCodes(apiUrl: string, token: string, count: number): Promise<string[]> {
  const codes: string[] = [];
  while (codes.length < count) {
    const response = await fetch(`${apiUrl}/v1/trace/codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ count: Math.min(count - codes.length, MAX_CODES_PER_REQUEST) }),
    });
    if (response.status !== 201)
      throw new Error(`POST /v1/trace/codes: HTTP ${String(response.status)} ${await response.text()}`);
    codes.push(...((await response.json()) as { codes: string[] }).codes);
  }
  return codes;
}
