import { timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(payload.data ?? '', 'base64'),
});

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecRoutesOptions {
  codec: PayloadCodec;
  /** Bearer token an operator's Web UI must present; a secret. */
  token: string;
  /** Origins allowed to call from a browser, e.g. the Temporal Web UI's. */
  allowedOrigins: string[];
}

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode` with `{payloads: [...]}` in
 * base64), so an authorised Web UI user can read decrypted payloads. Everyone else gets 401.
 */
export function codecRoutes(options: CodecRoutesOptions): Router {
  const router = express.Router();
  const expected = Buffer.from(`Bearer ${options.token}`);
  router.use((request, response, next) => {
    const origin = request.headers.origin;
    if (origin && options.allowedOrigins.includes(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, x-namespace');
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      response.sendStatus(204);
      return;
    }
    const presented = Buffer.from(request.headers.authorization ?? '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      response.status(401).json({ error: 'the codec endpoint needs Authorization: Bearer <YILIAN_CODEC_TOKEN>' });
      return;
    }
    next();
  });
  router.use(express.json({ limit: '16mb' }));
  for (const operation of ['encode', 'decode'] as const) {
    router.post(`/${operation}`, async (request, response) => {
      const body = request.body as { payloads?: JsonPayload[] };
      if (!Array.isArray(body?.payloads)) {
        response.status(400).json({ error: 'expected a JSON body {"payloads": [...]}' });
        return;
      }
      try {
        const payloads = await options.codec[operation](body.payloads.map(fromJson));
        response.json({ payloads: payloads.map(toJson) });
      } catch (error) {
        response.status(400).json({ error: (error as Error).message });
      }
    });
  }
  return router;
}
