import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizationFor, clientAssertion } from './authorization.js';
import { fhirServerSchema } from './servers.js';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

test('the client assertion is a JWT our key signs, RS384 for RSA and ES384 (r ‖ s) for P-384', () => {
  const auth = { clientId: 'yilian-engine', tokenUrl: 'https://auth.example/token', keyId: 'k1' };
  for (const [type, alg] of [
    ['rsa', 'RS384'],
    ['ec', 'ES384'],
  ] as const) {
    const { privateKey, publicKey } =
      type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwt = clientAssertion(privateKey, auth, Date.UTC(2026, 11, 2));
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    assert.deepEqual(decode(header), { alg, kid: 'k1', typ: 'JWT' });
    const claims = decode(payload);
    assert.equal(claims.iss, 'yilian-engine');
    assert.equal(claims.sub, 'yilian-engine');
    assert.equal(claims.aud, 'https://auth.example/token');
    assert.equal(claims.exp, Date.UTC(2026, 11, 2) / 1000 + 300, 'five minutes, the most SMART allows');
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
    const signed = Buffer.from(`${header}.${payload}`);
    const raw = Buffer.from(signature, 'base64url');
    if (type === 'ec') assert.equal(raw.length, 96, 'ES384 is r ‖ s, 48 bytes each');
    assert.ok(
      verify('sha384', signed, type === 'rsa' ? publicKey : { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw),
    );
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  assert.throws(() => clientAssertion(privateKey, auth), /must be RSA or EC/);
});

test('SMART backend services: a token fetched with the assertion, reused until it nears expiry, a refusal named', async (t) => {
  // a SMART authorization server cannot run here; this endpoint checks what one checks of the request
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const dir = await mkdtemp(join(tmpdir(), 'smart-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key.pem');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  let issued = 0;
  let refuse = false;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const [header, payload, signature] = (form.get('client_assertion') ?? '').split('.') as [string, string, string];
      const ok =
        !refuse &&
        form.get('grant_type') === 'client_credentials' &&
        form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
        form.get('scope') === 'system/Observation.rs' &&
        verify(
          'sha384',
          Buffer.from(`${header}.${payload}`),
          { key: publicKey, dsaEncoding: 'ieee-p1363' },
          Buffer.from(signature, 'base64url'),
        );
      response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          ok
            ? { access_token: `token-${++issued}`, expires_in: 3600, token_type: 'bearer' }
            : { error: 'invalid_client' },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  const config = fhirServerSchema.parse({
    name: 'smart',
    baseUrl: 'https://fhir.example/r4',
    hospital: 'Hospital',
    auth: {
      type: 'smart-backend',
      tokenUrl,
      clientId: 'yilian',
      privateKeyFile: keyFile,
      keyId: 'k1',
      scope: 'system/Observation.rs',
    },
  });
  const header = authorizationFor(config);
  assert.equal(await header(), 'Bearer token-1');
  assert.equal(await header(), 'Bearer token-1', 'reused while valid');
  assert.equal(issued, 1);
  refuse = true;
  const other = authorizationFor(config);
  await assert.rejects(other(), /the token endpoint .* refused the client yilian \(HTTP 401\)/);
  assert.equal(
    await authorizationFor(fhirServerSchema.parse({ ...config, auth: { type: 'bearer', token: 'abc' } }))(),
    'Bearer abc',
  );
});
