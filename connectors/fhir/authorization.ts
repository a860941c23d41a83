import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FhirServer } from './servers.js';

/** The `Authorization` header a request to this server carries, fresh when it is asked for. */
export type AuthorizationHeader = () => Promise<string | undefined>;

/** A token is renewed this long before it expires, so no request carries one that lapses in flight. */
const EXPIRY_MARGIN_MS = 60_000;

export function authorizationFor(server: FhirServer, fetchImpl: typeof fetch = fetch): AuthorizationHeader {
  const { auth } = server;
  switch (auth.type) {
    case 'none':
      return () => Promise.resolve(undefined);
    case 'bearer':
      return () => Promise.resolve(`Bearer ${auth.token}`);
    case 'smart-backend':
      return smartBackendServices(auth, fetchImpl);
  }
}

/**
 * SMART Backend Services (HL7 FHIR SMART App Launch 2.x, § Backend Services): a client_credentials
 * grant authenticated by a JWT we sign with our registered key (RFC 7523), cached until shortly
 * before it expires. RS384 for an RSA key, ES384 for an EC key, the two the spec requires servers
 * to accept.
 */
function smartBackendServices(
  auth: Extract<FhirServer['auth'], { type: 'smart-backend' }>,
  fetchImpl: typeof fetch,
): AuthorizationHeader {
  let key: KeyObject | undefined;
  let cached: { header: string; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.header;
    key ??= createPrivateKey(await readFile(auth.privateKeyFile));
    const response = await fetchImpl(auth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: auth.scope,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion(key, auth),
      }),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
    if (!response.ok || typeof body.access_token !== 'string')
      throw new Error(
        `the token endpoint ${auth.tokenUrl} refused the client ${auth.clientId} (HTTP ${response.status})`,
      );
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 300) * 1000;
    cached = { header: `Bearer ${body.access_token}`, until: Date.now() + Math.max(0, lifetimeMs - EXPIRY_MARGIN_MS) };
    return cached.header;
  };
}

/** The signed JWT of RFC 7523 § 2.2 as SMART Backend Services asks for it. */
export function clientAssertion(
  key: KeyObject,
  auth: { clientId: string; tokenUrl: string; keyId: string },
  now = Date.now(),
): string {
  const rsa = key.asymmetricKeyType === 'rsa';
  if (!rsa && key.asymmetricKeyType !== 'ec')
    throw new Error(`the SMART client key must be RSA or EC (P-384), not ${String(key.asymmetricKeyType)}`);
  const alg = rsa ? 'RS384' : 'ES384';
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const seconds = Math.floor(now / 1000);
  const input = `${encode({ alg, kid: auth.keyId, typ: 'JWT' })}.${encode({
    iss: auth.clientId,
    sub: auth.clientId,
    aud: auth.tokenUrl,
    exp: seconds + 300,
    jti: randomUUID(),
  })}`;
  // JWS wants ECDSA signatures as r ‖ s, not DER
  const signature = sign('sha384', Buffer.from(input), rsa ? key : { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
