import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routingSchema } from '../../connectors/hl7/routing.js';
import { fhirServersSchema } from '../../connectors/fhir/servers.js';
import { readJsonSetting } from './json-file.js';

test('a routing or FHIR servers file: missing, not JSON, or wrong, each named with its setting and paths', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'json-setting-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'routes.json');
  await assert.rejects(
    readJsonSetting('YILIAN_HL7_ROUTES', file, routingSchema),
    /^Error: YILIAN_HL7_ROUTES=.*routes\.json: ENOENT/,
  );
  await writeFile(file, '{"facilities": [');
  await assert.rejects(readJsonSetting('YILIAN_HL7_ROUTES', file, routingSchema), /YILIAN_HL7_ROUTES=.*: .*JSON/);
  await writeFile(
    file,
    JSON.stringify({ facilities: [{ facility: 'GHH', hospital: 'H', signer: 'nurse' }], merge: ['adt'] }),
  );
  await assert.rejects(readJsonSetting('YILIAN_HL7_ROUTES', file, routingSchema), (error: Error) => {
    assert.match(error.message, /^YILIAN_HL7_ROUTES=.*:\n {2}- /);
    assert.match(error.message, /- facilities\.0\.signer: /);
    assert.match(error.message, /- merge\.0: expected a message type like ORU or ADT\^A01/);
    return true;
  });
  await writeFile(file, JSON.stringify([{ name: 'a b', baseUrl: 'ftp://x', hospital: 'H' }]));
  await assert.rejects(readJsonSetting('YILIAN_FHIR_SERVERS', file, fhirServersSchema), (error: Error) => {
    assert.match(error.message, /- 0\.name: use 1-64 letters/);
    assert.match(error.message, /- 0\.baseUrl: /);
    return true;
  });
  await writeFile(file, JSON.stringify([{ name: 'ghh', baseUrl: 'https://fhir.example/r4', hospital: 'H' }]));
  const [server] = await readJsonSetting('YILIAN_FHIR_SERVERS', file, fhirServersSchema);
  assert.deepEqual(server?.resourceTypes.length, 6, 'defaults filled in');
});
