import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(payload.data ?? '', 'base64'),
});

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecRoutesOptions {
  codec: PayloadCodec;
  /** Bearer token an operator's Web UI must present; a secret. */
  token: string;
  /** Origins allowed to call from a browser, e.g. the Temporal Web UI's. */
  allowedOrigins: string[];
}

export const CODEC_SESSION_COOKIE = 'yilian_codec_session';

const sameSecret = (presented: string, expected: string) => {
  const [a, b] = [Buffer.from(presented), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
};

const cookieOf = (header: string | undefined, name: string) =>
  (header ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === name)?.[1];

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode` with `{payloads: [...]}` in
 * base64), so an authorised Web UI user can read decrypted payloads. Everyone else gets 401.
 *
 * Two ways in: `Authorization: Bearer <token>` for tools, and for the Web UI — which cannot add a
 * header of ours — a session cookie set by signing in once at `/codec/login` with the same token.
 * The cookie is HttpOnly and SameSite=Strict; the UI on another port of the same host is the same
 * site, so it sends the cookie when its codec setting "include cross-origin credentials" is on.
 */
export function codecRoutes(options: CodecRoutesOptions): Router {
  const router = express.Router();
  // derived from the token, so it needs no server-side state and dies when the token is rotated
  const session = createHmac('sha256', options.token).update('yilian/codec-session/v1').digest('base64url');
  router.use((request, response, next) => {
    const origin = request.headers.origin;
    if (origin && options.allowedOrigins.includes(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, x-namespace');
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Vary', 'Origin');
    }
    next();
  });
  router.get('/login', (_request, response) => {
    response
      .type('html')
      .send(
        '<!doctype html><title>Yilian codec sign-in</title><form method="post" action="login">' +
          '<label>Codec token (YILIAN_CODEC_TOKEN) <input type="password" name="token" autofocus></label> <button>Sign in</button></form>',
      );
  });
  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (request, response) => {
    const presented = (request.body as { token?: unknown } | undefined)?.token;
    const token = typeof presented === 'string' ? presented : '';
    if (!sameSecret(token, options.token)) {
      response.status(401).type('text').send('wrong codec token');
      return;
    }
    response.cookie(CODEC_SESSION_COOKIE, session, {
      httpOnly: true,
      sameSite: 'strict',
      path: request.baseUrl || '/',
      maxAge: 12 * 3600 * 1000,
    });
    response
      .type('text')
      .send(
        'signed in: the Temporal Web UI on this host can now decode payloads (Settings → Codec Server → include cross-origin credentials)',
      );
  });
  router.use((request, response, next) => {
    if (request.method === 'OPTIONS') {
      response.sendStatus(204);
      return;
    }
    const bearer = sameSecret(request.headers.authorization ?? '', `Bearer ${options.token}`);
    const cookie = sameSecret(cookieOf(request.headers.cookie, CODEC_SESSION_COOKIE) ?? '', session);
    if (!bearer && !cookie) {
      response.status(401).json({
        error: 'the codec endpoint needs Authorization: Bearer <YILIAN_CODEC_TOKEN>, or a session from /codec/login',
      });
      return;
    }
    next();
  });
  router.use(express.json({ limit: '16mb' }));
  for (const operation of ['encode', 'decode'] as const) {
    router.post(`/${operation}`, async (request, response) => {
      const body = request.body as { payloads?: JsonPayload[] };
      if (!Array.isArray(body.payloads)) {
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
