import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from 'viem';
import { generateIdentity, type Identity } from '../crypto/index.js';
import { Directory } from '../../contracts/artifacts.js';
import { Role } from '../roles.js';
import { startScratchDevchain } from '../../ops/scratch/services.js';
import { deployContract } from './contract-calls.js';
import { directoryWrites } from '../../test/harness/directory-writes.js';
import { DirectoryError, lookupIdentity, requireIdentity } from './directory.js';
import { FiscoClient } from './fisco-client.js';

let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
let client: FiscoClient;
let directory: string;
const ca = generateIdentity();

before(async () => {
  chain = await startScratchDevchain();
  client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0' });
  directory = await deployContract(client, ca.secretKey, Directory);
});
after(async () => chain.stop());

const register = async (role: Role, name: string, organisation?: Identity) => {
  const who = generateIdentity();
  await directoryWrites(client, ca).register(directory, who, role, name, organisation);
  return toHex(who.address);
};

test("a doctor's entry names their hospital; a doctor of a revoked hospital is not in standing", async () => {
  const hospital = generateIdentity();
  await directoryWrites(client, ca).register(directory, hospital, Role.Hospital, 'Hospital A');
  const bob = await register(Role.Doctor, 'Dr. Bob', hospital);
  assert.equal((await lookupIdentity(client, directory, bob))?.organisation, toHex(hospital.address));
  assert.equal((await lookupIdentity(client, directory, toHex(hospital.address)))?.organisation, null);
  assert.equal((await requireIdentity(client, directory, bob, 'grantee')).name, 'Dr. Bob');

  await directoryWrites(client, ca).revoke(directory, hospital);
  await assert.rejects(requireIdentity(client, directory, bob, 'grantee'), (error: unknown) => {
    assert.ok(error instanceof DirectoryError && error.code === 'REVOKED', String(error));
    assert.match(
      error.message,
      /grantee 0x[0-9a-f]{40} \(Dr\. Bob\) belongs to 0x[0-9a-f]{40} \(Hospital A\), which has been revoked/,
    );
    return true;
  });
  assert.equal(
    (await requireIdentity(client, directory, await register(Role.Doctor, 'Dr. Solo'), 'grantee')).organisation,
    null,
  );
});
