import express, { type RequestHandler, type Router } from 'express';

/** Which other origins' pages may call some routes from a browser, and how. */
export interface CorsPolicy {
  /** Exact origins (`https://host[:port]`, as browsers send them); any other gets no CORS headers. */
  origins: readonly string[];
  methods: readonly string[];
  /** Request headers the pages may send beyond the simple ones. */
  headers: readonly string[];
  /** Whether the browser may send cookies along (the codec endpoint's sign-in); never for the wallet. */
  credentials: boolean;
  /** How long a browser may keep a preflight's answer; unset, its own default (5 s in Chromium). */
  maxAgeSeconds?: number;
}

/**
 * CORS for an allow-list of origins: an allowed origin's requests are answered with its
 * `Access-Control-Allow-*` headers, any other's without, so the browser keeps their answers from the
 * page (and stops a request that needs a preflight before it is sent). A preflight (OPTIONS) is
 * answered here, 204 either way: what the browser reads is whether the headers name its origin.
 */
export function allowOrigins(policy: CorsPolicy): RequestHandler {
  const allowed = new Set(policy.origins);
  return (request, response, next) => {
    // the answer differs by origin, so no cache may hand one origin's answer to another
    response.vary('Origin');
    const origin = request.headers.origin;
    if (origin !== undefined && allowed.has(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      if (policy.credentials) response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Access-Control-Allow-Headers', policy.headers.join(', '));
      response.setHeader('Access-Control-Allow-Methods', [...policy.methods, 'OPTIONS'].join(', '));
      if (policy.maxAgeSeconds !== undefined)
        response.setHeader('Access-Control-Max-Age', String(policy.maxAgeSeconds));
    }
    if (request.method === 'OPTIONS') {
      response.sendStatus(204);
      return;
    }
    next();
  };
}

/**
 * The wallet's routes (inbox, chain and block gateways, prekeys, enrolments, grants) for web
 * wallets served by other engines of the consortium (`YILIAN_API_WALLET_ORIGINS`): a patient's one
 * wallet lives in one engine's page and talks to every engine it is enrolled with. Only the headers
 * those requests carry (the inbox's signed `authorization`, JSON bodies), and no cookies: nothing
 * there is authorised by a session, every request carries its own signature or none is needed.
 */
export const walletCorsPolicy = (origins: readonly string[]): CorsPolicy => ({
  origins,
  methods: ['GET', 'POST'],
  headers: ['authorization', 'content-type'],
  credentials: false,
  maxAgeSeconds: 600,
});

/** `router` behind `policy`: the routes as mounted, answering the origins it allows. */
export function withCors(policy: CorsPolicy, router: Router): Router {
  return express.Router().use(allowOrigins(policy), router);
}
