import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concat, getAddress, keccak256, toHex, zeroAddress, type Hex } from 'viem';
import { startScratchDevchain } from '../ops/scratch/services.js';
import { FiscoClient } from '../core/ledger/fisco-client.js';
import { deployContract, readContract, writeContract, writeResult } from '../core/ledger/contract-calls.js';
import { LedgerError } from '../core/ledger/errors.js';
import {
  generateDek,
  generateIdentity,
  initPre,
  preDecryptReencrypted,
  preDelegatorPublicKey,
  preEncrypt,
  preKeygenDelegatee,
  preKeygenDelegator,
  preReencrypt,
  preRekey,
  type Identity,
} from '../core/crypto/index.js';
import { Directory, DrugTrace, RecordRegistry } from './artifacts.js';
import { RECORD_AUTHOR_ROLES, Role, roleName, TRACE_ROLES } from '../core/roles.js';
import { cidHashOf, recordIdOf } from '../core/records/record-format.js';
import { REENCRYPT_PRECOMPILE, reencryptAbi } from '../precompiled/abi.js';
import * as native from '../native/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const traceCode = () => Array.from(randomBytes(32), (byte) => CROCKFORD[byte % 32]).join('');
const rejectsWith = (code: LedgerError['code'], pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof LedgerError, String(error));
  assert.equal(error.code, code, error.message);
  assert.match(error.message, pattern);
  return true;
};

describe('contracts through the FISCO client on the dev chain', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let client: FiscoClient;
  let ca: Identity;
  let addresses: { directory: string; records: string; trace: string };

  before(async () => {
    await initPre();
    chain = await startScratchDevchain();
    client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0' });
    await client.checkChain();
    ca = generateIdentity();
    const directory = await deployContract(client, ca.secretKey, Directory);
    addresses = {
      directory,
      records: await deployContract(client, ca.secretKey, RecordRegistry, [directory]),
      trace: await deployContract(client, ca.secretKey, DrugTrace, [directory]),
    };
  });
  after(async () => chain.stop());

  /** The CA's `register` of `who` as `role`, belonging to `organisation` if given. */
  const register = (who: Identity, role: number, organisation?: Identity) =>
    writeContract(client, ca.secretKey, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'register',
      args: [
        toHex(who.address),
        role,
        `${roleName(role)} ${toHex(who.address).slice(0, 8)}`,
        toHex(who.publicKey),
        organisation ? toHex(organisation.address) : zeroAddress,
      ],
    });
  /** A fresh identity the CA registers with `role`. */
  async function registered(role: number, organisation?: Identity): Promise<Identity> {
    const who = generateIdentity();
    await register(who, role, organisation);
    return who;
  }
  const directoryEntry = (who: Identity) =>
    readContract(client, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'get',
      args: [toHex(who.address)],
    });
  const revoke = (who: Identity) =>
    writeContract(client, ca.secretKey, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'revoke',
      args: [toHex(who.address)],
    });
  const create = (author: Identity, cidHash: Hex, wrappedKey: Hex) =>
    writeContract(client, author.secretKey, {
      address: addresses.records,
      abi: RecordRegistry.abi,
      functionName: 'create',
      args: [cidHash, wrappedKey],
    });
  const firstLevel = () =>
    toHex(
      preEncrypt(preDelegatorPublicKey(preKeygenDelegator().secretKey), generateDek(), {
        recordId: randomBytes(32),
        version: 1,
      }),
    );
  const readTraceSteps = (id: Hex) =>
    readContract(client, { address: addresses.trace, abi: DrugTrace.abi, functionName: 'read', args: [id] });

  test('deployed contracts have code', async () => {
    for (const address of Object.values(addresses)) assert.ok((await client.getCode(address)).length > 100, address);
  });

  test('Directory: only the CA registers and revokes; anyone reads', async () => {
    const doctor = generateIdentity();
    const stranger = generateIdentity();
    const register = (signer: Identity, who: Identity) =>
      writeContract(client, signer.secretKey, {
        address: addresses.directory,
        abi: Directory.abi,
        functionName: 'register',
        args: [toHex(who.address), 2, 'Dr. Bob', toHex(who.publicKey), zeroAddress],
      });
    await assert.rejects(register(stranger, doctor), rejectsWith('REVERTED', /only the CA may write/));
    const receipt = await register(ca, doctor);
    assert.equal(receipt.logEntries.length, 1);
    await assert.rejects(register(ca, doctor), rejectsWith('REVERTED', /already registered/));
    assert.deepEqual(await directoryEntry(doctor), [2, 'Dr. Bob', toHex(doctor.publicKey), false, 0n, zeroAddress]);
    await assert.rejects(
      writeContract(client, ca.secretKey, {
        address: addresses.directory,
        abi: Directory.abi,
        functionName: 'register',
        args: [toHex(stranger.address), 2, 'Mallory', toHex(doctor.publicKey), zeroAddress],
      }),
      rejectsWith('REVERTED', /public key does not belong to the account/),
    );
    await assert.rejects(
      writeContract(client, stranger.secretKey, {
        address: addresses.directory,
        abi: Directory.abi,
        functionName: 'revoke',
        args: [toHex(doctor.address)],
      }),
      rejectsWith('REVERTED', /only the CA/),
    );
    const revocation = await revoke(doctor);
    const after = await readContract(client, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'get',
      args: [toHex(doctor.address)],
    });
    assert.equal(after[3], true);
    assert.equal(after[4], BigInt(revocation.blockNumber), 'the revocation is dated by its block');
    await assert.rejects(revoke(doctor), rejectsWith('REVERTED', /already revoked/));
  });

  test('Directory: a doctor belongs to a registered, unrevoked hospital; no other role belongs to anyone', async () => {
    const hospital = await registered(Role.Hospital);
    const doctor = await registered(Role.Doctor, hospital);
    const entry = await directoryEntry(doctor);
    assert.equal(entry[5], getAddress(toHex(hospital.address)), 'get returns the affiliation');
    assert.equal((await directoryEntry(hospital))[5], zeroAddress);

    const refused = async (role: number, organisation: Identity, reason: RegExp) =>
      assert.rejects(register(generateIdentity(), role, organisation), rejectsWith('REVERTED', reason));
    await refused(Role.Doctor, generateIdentity(), /the organisation is not registered/);
    await refused(Role.Doctor, await registered(Role.Pharmacy), /a doctor's organisation must be a hospital/);
    await refused(Role.Doctor, doctor, /a doctor's organisation must be a hospital/);
    for (const role of [Role.Patient, Role.Hospital, Role.Pharmacy, Role.Manufacturer, Role.Research])
      await refused(role, hospital, /only a doctor belongs to an organisation/);

    // registering again is refused whatever the affiliation: the engine's activity reads the entry
    // to tell "done" from a conflict (I9)
    await assert.rejects(register(doctor, Role.Doctor, hospital), rejectsWith('REVERTED', /already registered/));

    const closed = await registered(Role.Hospital);
    await revoke(closed);
    await refused(Role.Doctor, closed, /the organisation has been revoked/);
  });

  test('RecordRegistry: a doctor of a revoked hospital creates no record from the revocation on; before it, it did', async () => {
    const hospital = await registered(Role.Hospital);
    const doctor = await registered(Role.Doctor, hospital);
    await create(doctor, toHex(randomBytes(32)), firstLevel());
    await revoke(hospital);
    const activeRole = await readContract(client, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'activeRole',
      args: [toHex(doctor.address)],
    });
    assert.equal(activeRole, 0, "a revoked hospital's doctor has no active role");
    await assert.rejects(
      create(doctor, toHex(randomBytes(32)), firstLevel()),
      rejectsWith('REVERTED', /only registered, unrevoked hospitals and doctors may create records/),
    );
    assert.equal(
      (await directoryEntry(doctor))[3],
      false,
      "the doctor's own entry stands: readers date it by the hospital's",
    );
  });

  test('only registered, unrevoked hospitals and doctors create records; manufacturers, carriers and pharmacies push steps', async () => {
    const activeRole = (who: Identity) =>
      readContract(client, {
        address: addresses.directory,
        abi: Directory.abi,
        functionName: 'activeRole',
        args: [toHex(who.address)],
      });
    // the role check comes before the nonce check, so an allowed sender gets as far as the stale nonce
    const push = (who: Identity) =>
      writeContract(client, who.secretKey, {
        address: addresses.trace,
        abi: DrugTrace.abi,
        functionName: 'push',
        args: [toHex(randomBytes(32)), toHex(randomBytes(120)), toHex(randomBytes(32)), '0x'],
      });
    const pushBatch = (who: Identity) =>
      writeContract(client, who.secretKey, {
        address: addresses.trace,
        abi: DrugTrace.abi,
        functionName: 'pushBatch',
        args: [[toHex(randomBytes(32))], [toHex(randomBytes(120))], toHex(randomBytes(32)), '0x'],
      });
    const refusedCreate = rejectsWith(
      'REVERTED',
      /only registered, unrevoked hospitals and doctors may create records/,
    );
    const refusedPush = rejectsWith(
      'REVERTED',
      /only registered, unrevoked manufacturers, carriers and pharmacies may push/,
    );
    const staleNonce = rejectsWith('REVERTED', /nonce is not a recent block hash/);

    for (const role of Object.values(Role)) {
      const who = await registered(role);
      assert.equal(await activeRole(who), role);
      if (RECORD_AUTHOR_ROLES.has(role)) await create(who, toHex(randomBytes(32)), firstLevel());
      else await assert.rejects(create(who, toHex(randomBytes(32)), firstLevel()), refusedCreate, roleName(role));
      for (const attempt of [push, pushBatch])
        await assert.rejects(attempt(who), TRACE_ROLES.has(role) ? staleNonce : refusedPush, roleName(role));
    }

    const stranger = generateIdentity();
    assert.equal(await activeRole(stranger), 0);
    await assert.rejects(create(stranger, toHex(randomBytes(32)), firstLevel()), refusedCreate);
    await assert.rejects(push(stranger), refusedPush);
    await assert.rejects(pushBatch(stranger), refusedPush);

    const [hospital, carrier] = [await registered(Role.Hospital), await registered(Role.Carrier)];
    await Promise.all([revoke(hospital), revoke(carrier)]);
    assert.equal(await activeRole(hospital), 0, 'a revoked account has no active role');
    await assert.rejects(create(hospital, toHex(randomBytes(32)), firstLevel()), refusedCreate);
    await assert.rejects(push(carrier), refusedPush);
  });

  test('RecordRegistry: the id is bound to its author, so a squatter with the same CID gets an id of its own', async () => {
    const cid = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
    const cidHash = toHex(cidHashOf(cid));
    const [author, squatter] = [await registered(Role.Doctor), await registered(Role.Hospital)];
    const junk = toHex(Uint8Array.from([1, ...randomBytes(109)]));
    const squatted = await create(squatter, cidHash, junk);
    const wrapped = firstLevel();
    const created = await create(author, cidHash, wrapped);
    const authorId = toHex(recordIdOf(author.address, cid));
    assert.equal(created.logEntries[0]?.topics[1], authorId, 'the contract derives the id the engine computes');
    assert.equal(squatted.logEntries[0]?.topics[1], toHex(recordIdOf(squatter.address, cid)));
    assert.notEqual(authorId, squatted.logEntries[0].topics[1]);
    const get = (id: Hex) =>
      readContract(client, { address: addresses.records, abi: RecordRegistry.abi, functionName: 'get', args: [id] });
    assert.deepEqual(
      await get(authorId),
      [wrapped, BigInt(created.blockNumber)],
      'the key and the block it was created in',
    );
    await assert.rejects(create(author, cidHash, firstLevel()), rejectsWith('REVERTED', /record exists/));
  });

  test('RecordRegistry: create once, read back, and re-encrypt in a view exactly as the TypeScript PRE does', async () => {
    const patient = preKeygenDelegator();
    const doctor = preKeygenDelegatee();
    const hospital = await registered(Role.Hospital);
    const cidHash = toHex(randomBytes(32));
    const id = keccak256(concat([toHex(hospital.address), cidHash]));
    const context = { recordId: Buffer.from(id.slice(2), 'hex'), version: 1 };
    const dek = generateDek();
    const wrapped = preEncrypt(preDelegatorPublicKey(patient.secretKey), dek, context);
    const receipt = await create(hospital, cidHash, toHex(wrapped));
    assert.deepEqual(receipt.logEntries[0]?.topics.slice(1), [id], 'the event carries the record id and nothing else');
    assert.equal(receipt.logEntries[0].data, '0x');
    await assert.rejects(create(hospital, cidHash, toHex(wrapped)), rejectsWith('REVERTED', /record exists/));
    const [stored] = await readContract(client, {
      address: addresses.records,
      abi: RecordRegistry.abi,
      functionName: 'get',
      args: [id],
    });
    assert.equal(stored, toHex(wrapped));

    const rk = preRekey(patient.secretKey, doctor.publicKey);
    const onChain = await readContract(client, {
      address: addresses.records,
      abi: RecordRegistry.abi,
      functionName: 'reencrypt',
      args: [id, toHex(rk)],
    });
    assert.equal(onChain, toHex(preReencrypt(wrapped, rk)), 'native precompile matches mcl-wasm byte for byte');
    assert.deepEqual(preDecryptReencrypted(doctor.secretKey, Buffer.from(onChain.slice(2), 'hex'), context), dek);

    await assert.rejects(
      readContract(client, {
        address: addresses.records,
        abi: RecordRegistry.abi,
        functionName: 'reencrypt',
        args: [id, toHex(new Uint8Array(96))],
      }),
      rejectsWith('REVERTED', /reencrypt failed.*BAD_POINT/),
    );
    await assert.rejects(
      readContract(client, {
        address: REENCRYPT_PRECOMPILE,
        abi: reencryptAbi,
        functionName: 'reencrypt',
        args: [toHex(wrapped.subarray(1, 49)), toHex(new Uint8Array(96))],
      }),
      rejectsWith('PRECOMPILE', /PrecompiledError.*BAD_POINT/),
      'a direct call to the precompile fails with status 15 and the reason',
    );
  });

  test('RecordRegistry.createBatch: many records in one transaction; an id that exists is skipped, not a revert', async () => {
    const hospital = await registered(Role.Hospital);
    const batch = (count: number) =>
      Array.from({ length: count }, () => ({ cidHash: toHex(randomBytes(32)), wrappedKey: firstLevel() }));
    const request = { abi: RecordRegistry.abi, functionName: 'createBatch' } as const;
    const createBatch = (author: Identity, records: Array<{ cidHash: Hex; wrappedKey: Hex }>) =>
      writeContract(client, author.secretKey, {
        ...request,
        address: addresses.records,
        args: [records.map((r) => r.cidHash), records.map((r) => r.wrappedKey)],
      });
    const idOf = (author: Identity, cidHash: Hex) => keccak256(concat([toHex(author.address), cidHash]));

    const first = batch(3);
    // one of them already created on its own, as a single create or an earlier batch did
    await create(hospital, first[1]?.cidHash ?? '0x', first[1]?.wrappedKey ?? '0x');
    const receipt = await createBatch(hospital, first);
    const [ids, created] = writeResult(request, receipt);
    assert.deepEqual(
      ids,
      first.map((r) => idOf(hospital, r.cidHash)),
      'the ids create derives',
    );
    assert.deepEqual(created, [true, false, true]);
    assert.deepEqual(
      receipt.logEntries.map((log) => log.topics[1]),
      [ids[0], ids[2]],
      'only the records written emit RecordCreated',
    );
    const get = (id: Hex) =>
      readContract(client, { address: addresses.records, abi: RecordRegistry.abi, functionName: 'get', args: [id] });
    for (const [i, r] of first.entries()) assert.equal((await get(ids[i] ?? '0x'))[0], r.wrappedKey);
    // the same batch again, as a retried activity sends it after its first attempt committed
    const again = await createBatch(hospital, first);
    assert.deepEqual(writeResult(request, again)[1], [false, false, false]);
    assert.equal(again.logEntries.length, 0);

    const malformed = batch(2);
    malformed[1] = { cidHash: toHex(randomBytes(32)), wrappedKey: toHex(randomBytes(110)) };
    await assert.rejects(createBatch(hospital, malformed), rejectsWith('REVERTED', /not a first-level PRE ciphertext/));
    await assert.rejects(
      get(idOf(hospital, malformed[0]?.cidHash ?? '0x')),
      rejectsWith('REVERTED', /no such record/),
      'a malformed key reverts the whole batch',
    );
    await assert.rejects(
      createBatch(await registered(Role.Manufacturer), batch(1)),
      rejectsWith('REVERTED', /only registered, unrevoked hospitals and doctors may create records/),
    );
    await assert.rejects(createBatch(hospital, []), rejectsWith('REVERTED', /a batch is 1 to 256/));
    await assert.rejects(
      writeContract(client, hospital.secretKey, {
        ...request,
        address: addresses.records,
        args: [[toHex(randomBytes(32))], []],
      }),
      rejectsWith('REVERTED', /a batch is 1 to 256/),
    );
    const full = batch(256);
    assert.equal(writeResult(request, await createBatch(hospital, full))[1].filter(Boolean).length, 256);
    await assert.rejects(
      createBatch(hospital, [...batch(256), ...batch(1)]),
      rejectsWith('REVERTED', /a batch is 1 to 256/),
    );
  });

  async function recentNonce(): Promise<Hex> {
    return (await client.getBlockHash(await client.getBlockNumber())) as Hex;
  }

  test('DrugTrace: a valid proof appends; a replayed proof, a stale nonce and another ciphertext are refused', async () => {
    const manufacturer = await registered(Role.Manufacturer);
    const code = traceCode();
    const id = toHex(native.traceId(code));
    const step = randomBytes(200);
    const nonce = await recentNonce();
    const proof = await native.prove(code, keccak_256(step), Buffer.from(nonce.slice(2), 'hex'));
    const push = (c: Uint8Array, n: Hex, p: Uint8Array) =>
      writeContract(client, manufacturer.secretKey, {
        address: addresses.trace,
        abi: DrugTrace.abi,
        functionName: 'push',
        args: [id, toHex(c), n, toHex(p)],
      });

    await assert.rejects(push(randomBytes(200), nonce, proof), rejectsWith('REVERTED', /proof rejected/));
    const pushed = await push(step, nonce, proof);
    assert.deepEqual(await readTraceSteps(id), [
      {
        ciphertext: toHex(step),
        sender: getAddress(toHex(manufacturer.address)),
        blockNumber: BigInt(pushed.blockNumber),
      },
    ]);
    await assert.rejects(push(step, nonce, proof), rejectsWith('REVERTED', /proof already used/));
    const freshProof = await native.prove(code, keccak_256(step), Buffer.from(nonce.slice(2), 'hex'));
    await assert.rejects(
      push(step, nonce, freshProof),
      rejectsWith('REVERTED', /proof already used/),
      'a new proof of the same statement is a replay too',
    );

    const stale = toHex(randomBytes(32));
    const staleProof = await native.prove(code, keccak_256(step), Buffer.from(stale.slice(2), 'hex'));
    await assert.rejects(push(step, stale, staleProof), rejectsWith('REVERTED', /nonce is not a recent block hash/));
  });

  test('DrugTrace: one proof appends a batch of items', async () => {
    const codes = Array.from({ length: 8 }, traceCode);
    const steps = codes.map(() => randomBytes(120));
    const nonce = await recentNonce();
    const proof = await native.proveBatch(
      codes,
      steps.map((step) => keccak_256(step)),
      Buffer.from(nonce.slice(2), 'hex'),
    );
    const ids = codes.map((code) => toHex(native.traceId(code)));
    const pharmacy = await registered(Role.Pharmacy);
    await writeContract(client, pharmacy.secretKey, {
      address: addresses.trace,
      abi: DrugTrace.abi,
      functionName: 'pushBatch',
      args: [ids, steps.map((bytes) => toHex(bytes)), nonce, toHex(proof)],
    });
    for (const [index, step] of steps.entries()) {
      assert.deepEqual(
        (await readTraceSteps(ids[index] as Hex)).map((s) => s.ciphertext),
        [toHex(step)],
      );
    }
  });

  test('DrugTrace: a step pushed before its sender is revoked stays, dated by its block; a push after is refused', async () => {
    const carrier = await registered(Role.Carrier);
    const code = traceCode();
    const id = toHex(native.traceId(code));
    const push = async () => {
      const step = randomBytes(100);
      const nonce = await recentNonce();
      const proof = await native.prove(code, keccak_256(step), Buffer.from(nonce.slice(2), 'hex'));
      return writeContract(client, carrier.secretKey, {
        address: addresses.trace,
        abi: DrugTrace.abi,
        functionName: 'push',
        args: [id, toHex(step), nonce, toHex(proof)],
      });
    };
    const before = await push();
    const revocation = await revoke(carrier);
    await assert.rejects(
      push(),
      rejectsWith('REVERTED', /only registered, unrevoked manufacturers, carriers and pharmacies may push/),
    );
    const steps = await readTraceSteps(id);
    assert.equal(steps.length, 1);
    assert.equal(steps[0]?.blockNumber, BigInt(before.blockNumber));
    assert.ok(before.blockNumber < revocation.blockNumber);
  });
});
