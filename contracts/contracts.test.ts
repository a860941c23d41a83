import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toHex, type Hex } from 'viem';
import { startScratchDevchain } from '../ops/scratch/services.js';
import { FiscoClient } from '../core/ledger/fisco-client.js';
import { deployContract, readContract, writeContract } from '../core/ledger/contract-calls.js';
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
    addresses = {
      directory: await deployContract(client, ca.secretKey, Directory),
      records: await deployContract(client, ca.secretKey, RecordRegistry),
      trace: await deployContract(client, ca.secretKey, DrugTrace),
    };
  });
  after(async () => chain.stop());

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
        args: [toHex(who.address), 2, 'Dr. Bob', toHex(who.publicKey)],
      });
    await assert.rejects(register(stranger, doctor), rejectsWith('REVERTED', /only the CA may write/));
    const receipt = await register(ca, doctor);
    assert.equal(receipt.logEntries.length, 1);
    await assert.rejects(register(ca, doctor), rejectsWith('REVERTED', /already registered/));
    const [role, name, publicKey, revoked] = await readContract(client, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'get',
      args: [toHex(doctor.address)],
    });
    assert.deepEqual([role, name, publicKey, revoked], [2, 'Dr. Bob', toHex(doctor.publicKey), false]);
    await assert.rejects(
      writeContract(client, ca.secretKey, {
        address: addresses.directory,
        abi: Directory.abi,
        functionName: 'register',
        args: [toHex(stranger.address), 2, 'Mallory', toHex(doctor.publicKey)],
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
    await writeContract(client, ca.secretKey, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'revoke',
      args: [toHex(doctor.address)],
    });
    const after = await readContract(client, {
      address: addresses.directory,
      abi: Directory.abi,
      functionName: 'get',
      args: [toHex(doctor.address)],
    });
    assert.equal(after[3], true);
  });

  test('RecordRegistry: create once, read back, and re-encrypt in a view exactly as the TypeScript PRE does', async () => {
    const patient = preKeygenDelegator();
    const doctor = preKeygenDelegatee();
    const id = toHex(randomBytes(32));
    const context = { recordId: Buffer.from(id.slice(2), 'hex'), version: 1 };
    const dek = generateDek();
    const wrapped = preEncrypt(preDelegatorPublicKey(patient.secretKey), dek, context);
    const hospital = generateIdentity();
    const receipt = await writeContract(client, hospital.secretKey, {
      address: addresses.records,
      abi: RecordRegistry.abi,
      functionName: 'create',
      args: [id, toHex(wrapped)],
    });
    assert.deepEqual(receipt.logEntries[0]?.topics.slice(1), [id], 'the event carries the record id and nothing else');
    assert.equal(receipt.logEntries[0].data, '0x');
    await assert.rejects(
      writeContract(client, hospital.secretKey, {
        address: addresses.records,
        abi: RecordRegistry.abi,
        functionName: 'create',
        args: [id, toHex(wrapped)],
      }),
      rejectsWith('REVERTED', /record exists/),
    );
    assert.equal(
      await readContract(client, {
        address: addresses.records,
        abi: RecordRegistry.abi,
        functionName: 'get',
        args: [id],
      }),
      toHex(wrapped),
    );

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

  async function recentNonce(): Promise<Hex> {
    return (await client.getBlockHash(await client.getBlockNumber())) as Hex;
  }

  test('DrugTrace: a valid proof appends; a replayed proof, a stale nonce and another ciphertext are refused', async () => {
    const code = traceCode();
    const id = toHex(native.traceId(code));
    const step = randomBytes(200);
    const nonce = await recentNonce();
    const proof = await native.prove(code, keccak_256(step), Buffer.from(nonce.slice(2), 'hex'));
    const push = (c: Uint8Array, n: Hex, p: Uint8Array) =>
      writeContract(client, ca.secretKey, {
        address: addresses.trace,
        abi: DrugTrace.abi,
        functionName: 'push',
        args: [id, toHex(c), n, toHex(p)],
      });

    await assert.rejects(push(randomBytes(200), nonce, proof), rejectsWith('REVERTED', /proof rejected/));
    await push(step, nonce, proof);
    assert.deepEqual(
      await readContract(client, { address: addresses.trace, abi: DrugTrace.abi, functionName: 'read', args: [id] }),
      [toHex(step)],
    );
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
    await writeContract(client, ca.secretKey, {
      address: addresses.trace,
      abi: DrugTrace.abi,
      functionName: 'pushBatch',
      args: [ids, steps.map((bytes) => toHex(bytes)), nonce, toHex(proof)],
    });
    for (const [index, step] of steps.entries()) {
      assert.deepEqual(
        await readContract(client, {
          address: addresses.trace,
          abi: DrugTrace.abi,
          functionName: 'read',
          args: [ids[index] as Hex],
        }),
        [toHex(step)],
      );
    }
  });
});
