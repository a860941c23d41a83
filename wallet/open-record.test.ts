import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { toHex } from 'viem';
import {
  generateDek,
  generateIdentity,
  initPre,
  preDelegatorPublicKey,
  preEncrypt,
  preKeygenDelegator,
  seal,
  signRecord,
  type Identity,
} from '../core/crypto/index.js';
import type { ContractAddresses } from '../core/ledger/contract-addresses.js';
import { deployContract, writeContract } from '../core/ledger/contract-calls.js';
import { directoryWrites } from '../test/harness/directory-writes.js';
import { LedgerError } from '../core/ledger/errors.js';
import { FiscoClient } from '../core/ledger/fisco-client.js';
import { cidHashOf, contentContext, recordIdOf, wrapContext } from '../core/records/record-format.js';
import { Role } from '../core/roles.js';
import { EmbeddedContentStore } from '../core/storage/node/index.js';
import { Directory, RecordRegistry } from '../contracts/artifacts.js';
import { startScratchDevchain, tempDir } from '../ops/scratch/services.js';
import { openRecord, RecordVerificationError, type RecordLocation } from './open-record.js';

/**
 * The patient's side of a record against real contracts on the dev chain. Records that today's
 * RecordRegistry refuses (from a revoked author) are created on a second registry whose Directory
 * does not know of the revocation: the reader must judge them by the Directory it trusts.
 */
describe('openRecord on the dev chain', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let home: Awaited<ReturnType<typeof tempDir>>;
  let client: FiscoClient;
  let store: EmbeddedContentStore;
  const ca = generateIdentity();
  const patient = generateIdentity();
  let prekey: ReturnType<typeof preKeygenDelegator>;
  let prekeyIndex = 0;
  /** The consortium's contracts, and a second set the tests set up to disagree. */
  let trusted: ContractAddresses;
  let other: ContractAddresses;

  const deploy = async (): Promise<ContractAddresses> => {
    const directory = await deployContract(client, ca.secretKey, Directory);
    const recordRegistry = await deployContract(client, ca.secretKey, RecordRegistry, [directory]);
    return { directory, recordRegistry, drugTrace: directory };
  };
  const register = async (
    contracts: ContractAddresses,
    role: number,
    name: string,
    who = generateIdentity(),
    organisation?: Identity,
  ) => {
    await directoryWrites(client, ca).register(contracts.directory, who, role, name, organisation);
    return who;
  };
  const revoke = (contracts: ContractAddresses, who: Identity) =>
    directoryWrites(client, ca).revoke(contracts.directory, who);
  /** `sender` anchors a record signed by `signer` for the patient, as sealRecord and createRecordOnChain do. */
  const anchor = async (contracts: ContractAddresses, sender: Identity, signer: Identity, text: string) => {
    const location: Omit<RecordLocation, 'recordId' | 'cid'> = { patient: patient.address, prekeyIndex: prekeyIndex++ };
    const dek = generateDek();
    const content = seal(
      dek,
      contentContext(location.patient, location.prekeyIndex),
      signRecord(signer.secretKey, utf8ToBytes(text)),
    );
    const cid = (await store.put(content)).toString();
    const recordId = recordIdOf(sender.address, cid);
    const receipt = await writeContract(client, sender.secretKey, {
      address: contracts.recordRegistry,
      abi: RecordRegistry.abi,
      functionName: 'create',
      args: [
        toHex(cidHashOf(cid)),
        toHex(preEncrypt(preDelegatorPublicKey(prekey.secretKey), dek, wrapContext(recordId))),
      ],
    });
    return { location: { ...location, recordId: toHex(recordId), cid }, block: receipt.blockNumber };
  };
  const open = (contracts: ContractAddresses, location: RecordLocation) =>
    openRecord({ chain: client, contracts, store }, location, { kind: 'patient', prekeySecret: prekey.secretKey });
  const refusedFor = (pattern: RegExp) => (error: unknown) => {
    assert.ok(error instanceof RecordVerificationError, String(error));
    assert.equal(error.step, 'author');
    assert.match(error.message, pattern);
    return true;
  };

  before(async () => {
    await initPre();
    prekey = preKeygenDelegator();
    [chain, home] = await Promise.all([startScratchDevchain(), tempDir('open-record')]);
    client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0' });
    store = new EmbeddedContentStore(home.path);
    [trusted, other] = [await deploy(), await deploy()];
  });
  after(async () => {
    await chain.stop();
    await home.remove();
  });

  test("a record opens for its patient; another's signed record anchored under someone else's id does not", async () => {
    const bob = await register(trusted, Role.Doctor, 'Dr. Bob');
    const mallory = await register(trusted, Role.Hospital, 'Mallory Hospital');
    const own = await anchor(trusted, bob, bob, 'ORU from Dr. Bob');
    const opened = await open(trusted, own.location);
    assert.equal(opened.record, 'ORU from Dr. Bob');
    assert.deepEqual([opened.author.name, opened.author.revokedAt, opened.createdAt], ['Dr. Bob', null, own.block]);

    // Mallory re-anchors a record Dr. Bob signed: its id is Mallory's, so it is not Dr. Bob's record
    const reanchored = await anchor(trusted, mallory, bob, 'ORU from Dr. Bob, passed off');
    await assert.rejects(
      open(trusted, reanchored.location),
      refusedFor(new RegExp(`was not created on chain by ${toHex(bob.address)}, who signed content`)),
    );
  });

  test("revocation counts as of the record's block: a record before it opens, one after it does not", async () => {
    const bob = await register(trusted, Role.Doctor, 'Dr. Bob');
    await register(other, Role.Doctor, 'Dr. Bob', bob);
    const before = await anchor(trusted, bob, bob, 'written before the revocation');
    const revocation = await revoke(trusted, bob);
    const opened = await open(trusted, before.location);
    assert.equal(opened.record, 'written before the revocation');
    assert.equal(opened.author.revokedAt, revocation.blockNumber, 'the reader learns of the later revocation');
    await assert.rejects(
      anchor(trusted, bob, bob, 'written after the revocation'),
      (error: unknown) =>
        error instanceof LedgerError && /only registered, unrevoked hospitals and doctors/.test(error.message),
    );

    const after = await anchor(other, bob, bob, 'written after the revocation');
    await assert.rejects(
      open({ ...trusted, recordRegistry: other.recordRegistry }, after.location),
      refusedFor(
        new RegExp(
          `was revoked in block ${revocation.blockNumber}, before the record was created in block ${after.block}`,
        ),
      ),
    );
  });

  test("a doctor's record is their hospital's by the Directory the reader trusts, whatever another Directory says", async () => {
    const hospitalA = await register(trusted, Role.Hospital, 'Hospital A');
    const bob = await register(trusted, Role.Doctor, 'Dr. Bob', generateIdentity(), hospitalA);
    // the Directory an engine would show instead: the same Dr. Bob, but of Mallory Hospital
    const mallory = await register(other, Role.Hospital, 'Mallory Hospital');
    await register(other, Role.Hospital, 'Hospital A', hospitalA);
    await register(other, Role.Doctor, 'Dr. Bob', bob, mallory);

    const record = await anchor(trusted, bob, bob, 'ORU from Dr. Bob at Hospital A');
    const opened = await open(trusted, record.location);
    assert.deepEqual(
      [opened.author.name, opened.author.role, opened.organisation?.name, opened.organisation?.role],
      ['Dr. Bob', Role.Doctor, 'Hospital A', Role.Hospital],
    );
    assert.equal(opened.organisation?.address, toHex(hospitalA.address));
    const claimed = await open({ ...other, recordRegistry: trusted.recordRegistry }, record.location);
    assert.equal(claimed.organisation?.name, 'Mallory Hospital', 'the organisation comes from the Directory read');

    const byHospital = await open(trusted, (await anchor(trusted, hospitalA, hospitalA, 'ADT from A')).location);
    assert.equal(byHospital.organisation?.address, toHex(hospitalA.address), "a hospital's record is its own");
  });

  test("a doctor of a revoked hospital: a record before the hospital's revocation opens, one after does not", async () => {
    const hospital = await register(trusted, Role.Hospital, 'Closing Hospital');
    const carol = await register(trusted, Role.Doctor, 'Dr. Carol', generateIdentity(), hospital);
    await register(other, Role.Hospital, 'Closing Hospital', hospital);
    await register(other, Role.Doctor, 'Dr. Carol', carol, hospital);
    const before = await anchor(trusted, carol, carol, 'written before the hospital closed');
    const revocation = await revoke(trusted, hospital);
    const opened = await open(trusted, before.location);
    assert.equal(opened.record, 'written before the hospital closed');
    assert.deepEqual([opened.author.revokedAt, opened.organisation?.revokedAt], [null, revocation.blockNumber]);
    await assert.rejects(
      anchor(trusted, carol, carol, 'written after the hospital closed'),
      (error: unknown) =>
        error instanceof LedgerError && /only registered, unrevoked hospitals and doctors/.test(error.message),
    );

    const after = await anchor(other, carol, carol, 'written after the hospital closed');
    await assert.rejects(
      open({ ...trusted, recordRegistry: other.recordRegistry }, after.location),
      refusedFor(
        new RegExp(
          `belongs to ${toHex(hospital.address)} \\(Closing Hospital\\), which was revoked in block ${revocation.blockNumber}, before the record was created in block ${after.block}`,
        ),
      ),
    );
  });
});
