import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { allowOrigins } from './cors.js';
import { HttpError } from './errors.js';

/** Temporal's remote codec JSON: metadata values and data in base64. */
const bodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
});
type JsonPayload = z.infer<typeof bodySchema>['payloads'][number];

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
  /** The clock sessions and the sign-in limit run on; tests move it. */
  now?: () => number;
}

export const CODEC_SESSION_COOKIE = 'yilian_codec_session';
/** A session ends this long after sign-in however it is used (a working day)… */
export const CODEC_SESSION_LIFETIME_MS = 12 * 3600 * 1000;
/** …or after this long unused. */
export const CODEC_SESSION_IDLE_MS = 3600 * 1000;
/** Sign-in attempts one client address may make per window, right token or wrong. */
export const CODEC_LOGIN_ATTEMPTS = 5;
export const CODEC_LOGIN_WINDOW_MS = 60 * 1000;
/** Bounds on what unauthenticated clients can make the endpoint remember. */
const MAX_SESSIONS = 1000;
const MAX_LOGIN_CLIENTS = 10_000;

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
 * Server-side sessions: a random id per sign-in, so a cookie is worth nothing once it has ended
 * (sign-out, lifetime, idleness, restart) and no two sign-ins share one. Oldest first in the map,
 * so the oldest is the one dropped when full.
 */
class Sessions {
  private readonly byId = new Map<string, { started: number; lastUsed: number }>();

  constructor(private readonly now: () => number) {}

  start(): string {
    const now = this.now();
    for (const [id, session] of this.byId) if (this.expired(session, now)) this.byId.delete(id);
    if (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    this.byId.set(id, { started: now, lastUsed: now });
    return id;
  }

  /** Whether `id` is a live session; using it restarts its idle clock. */
  use(id: string): boolean {
    const session = this.byId.get(id);
    if (!session) return false;
    const now = this.now();
    if (this.expired(session, now)) {
      this.byId.delete(id);
      return false;
    }
    session.lastUsed = now;
    return true;
  }

  end(id: string): void {
    this.byId.delete(id);
  }

  private expired(session: { started: number; lastUsed: number }, now: number) {
    return now - session.started >= CODEC_SESSION_LIFETIME_MS || now - session.lastUsed >= CODEC_SESSION_IDLE_MS;
  }
}

/**
 * A fixed window of sign-in attempts per client address. Behind a reverse proxy every client
 * shares the proxy's address and so one budget: the limit then errs towards refusing.
 */
class LoginLimiter {
  private readonly windows = new Map<string, { started: number; attempts: number }>();

  constructor(private readonly now: () => number) {}

  /** Counts an attempt by `client`; throws 429 with Retry-After when it has none left. */
  attempt(client: string): void {
    const now = this.now();
    const ended = (window: { started: number }) => now - window.started >= CODEC_LOGIN_WINDOW_MS;
    if (this.windows.size >= MAX_LOGIN_CLIENTS)
      for (const [key, window] of this.windows) if (ended(window)) this.windows.delete(key);
    let window = this.windows.get(client);
    if (!window || ended(window)) {
      if (!window && this.windows.size >= MAX_LOGIN_CLIENTS) this.refuse(CODEC_LOGIN_WINDOW_MS);
      window = { started: now, attempts: 0 };
      this.windows.set(client, window);
    }
    if (window.attempts >= CODEC_LOGIN_ATTEMPTS) this.refuse(window.started + CODEC_LOGIN_WINDOW_MS - now);
    window.attempts += 1;
  }

  private refuse(waitMs: number): never {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new HttpError(429, `too many sign-in attempts; try again in ${seconds} s`, {
      'Retry-After': String(seconds),
    });
  }
}

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode` with `{payloads: [...]}` in
 * base64), so an authorised Web UI user can read decrypted payloads. Everyone else gets 401.
 *
 * Two ways in: `Authorization: Bearer <token>` for tools, and for the Web UI — which cannot add a
 * header of ours — a session cookie from signing in at `/codec/login` with the same token, ended by
 * `POST /codec/logout`, after 12 hours, or after an hour unused. Sign-in is limited per client
 * address, so the token cannot be guessed at speed. The cookie is HttpOnly and SameSite=Strict; the
 * UI on another port of the same host is the same site, so it sends the cookie when its codec
 * setting "include cross-origin credentials" is on.
 */
export function codecRoutes(options: CodecRoutesOptions): Router {
  const now = options.now ?? Date.now;
  const sessions = new Sessions(now);
  const limiter = new LoginLimiter(now);
  const sessionOf = (request: Request) => cookieOf(request.headers.cookie, CODEC_SESSION_COOKIE) ?? '';
  const cookieOptions = (request: Request) =>
    ({ httpOnly: true, sameSite: 'strict', path: request.baseUrl || '/' }) as const;

  const router = express.Router();
  router.use(
    allowOrigins({
      origins: options.allowedOrigins,
      methods: ['POST'],
      headers: ['authorization', 'content-type', 'x-namespace'],
      credentials: true,
    }),
  );
  router.get('/login', (_request, response) => {
    response
      .type('html')
      .send(
        '<!doctype html><title>Yilian codec sign-in</title><form method="post" action="login">' +
          '<label>Codec token (YILIAN_CODEC_TOKEN) <input type="password" name="token" autofocus></label> <button>Sign in</button></form>' +
          '<form method="post" action="logout"><button>Sign out</button></form>',
      );
  });
  router.post(
    '/login',
    // counted before the body is read, so a refused client costs no parsing
    (request, _response, next) => {
      limiter.attempt(request.socket.remoteAddress ?? 'unknown');
      next();
    },
    express.urlencoded({ extended: false, limit: '4kb' }),
    (request, response) => {
      const presented = (request.body as { token?: unknown } | undefined)?.token;
      if (!sameSecret(typeof presented === 'string' ? presented : '', options.token))
        throw new HttpError(401, 'wrong codec token');
      response.cookie(CODEC_SESSION_COOKIE, sessions.start(), {
        ...cookieOptions(request),
        maxAge: CODEC_SESSION_LIFETIME_MS,
      });
      response
        .type('text')
        .send(
          'signed in: the Temporal Web UI on this host can now decode payloads (Settings → Codec Server → include cross-origin credentials)',
        );
    },
  );
  router.post('/logout', (request, response) => {
    sessions.end(sessionOf(request));
    response.clearCookie(CODEC_SESSION_COOKIE, cookieOptions(request)).type('text').send('signed out');
  });
  router.use((request, _response, next) => {
    const bearer = sameSecret(request.headers.authorization ?? '', `Bearer ${options.token}`);
    if (!bearer && !sessions.use(sessionOf(request)))
      throw new HttpError(
        401,
        'the codec endpoint needs Authorization: Bearer <YILIAN_CODEC_TOKEN>, or a session from /codec/login',
      );
    next();
  });
  router.use(express.json({ limit: '16mb' }));
  for (const operation of ['encode', 'decode'] as const) {
    router.post(`/${operation}`, async (request, response) => {
      const body = bodySchema.safeParse(request.body);
      if (!body.success)
        throw new HttpError(400, 'expected a JSON body {"payloads": [{"metadata": {…}, "data": "<base64>"}, …]}');
      const payloads = await options.codec[operation](body.data.payloads.map(fromJson)).catch((error: unknown) => {
        throw new HttpError(400, `the payloads do not ${operation}: ${(error as Error).message}`);
      });
      response.json({ payloads: payloads.map(toJson) });
    });
  }
  return router;
}
