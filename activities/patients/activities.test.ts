import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { hexToBytes, toHex, type Hex } from 'viem';
import { initPre } from '../../core/crypto/index.js';
import { decodePrekeyBundle, type KeystoreJson } from '../../core/keys/index.js';
import { Role } from '../../core/roles.js';
import { SCRATCH_SCRYPT } from '../../ops/scratch/engine.js';
import { startActivityEngine } from '../../test/harness/activity-engine.js';
import { Wallet, type KeystoreSlot } from '../../wallet/wallet.js';
import { createPatientActivities, type PatientActivities, type PublishedPrekey } from './index.js';

/** A wallet kept in memory: these tests need its keys, not a folder. */
async function memoryWallet(): Promise<Wallet> {
  let stored: KeystoreJson | undefined;
  const slot: KeystoreSlot = {
    read: () => (stored ? Promise.resolve(stored) : Promise.reject(new Error('no keystore yet'))),
    write: (json) => {
      stored = json;
      return Promise.resolve();
    },
  };
  return Wallet.create(slot, 'test wallet password', SCRATCH_SCRYPT);
}

/** Runs one activity call inside a mock activity context. */
const run = <R>(call: () => Promise<R>): Promise<R> => new MockActivityEnvironment().run(call);

const refusedAs = (type: string, message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof ApplicationFailure, String(error));
  assert.equal(error.type, type, error.message);
  assert.equal(error.nonRetryable, true, `${type} must not be retried`);
  if (message) assert.match(error.message, message);
  return true;
};

describe("a grant's prekey: held by this engine, or signed by the patient and checked against the Directory", () => {
  let stack: Awaited<ReturnType<typeof startActivityEngine>>;
  let patients: PatientActivities;
  let alice: Wallet;
  let mallory: Wallet;

  before(async () => {
    await initPre();
    stack = await startActivityEngine('patient-activities', { role: Role.Hospital, name: 'Hospital B' });
    patients = createPatientActivities(stack.engine);
    [alice, mallory] = await Promise.all([memoryWallet(), memoryWallet()]);
    // registered as the wallets' own keys, as `yilian wallet create` does
    for (const [wallet, name] of [
      [alice, 'Alice'],
      [mallory, 'Mallory'],
    ] as const) {
      const { address, publicKey } = wallet.identity;
      await stack.register({ address: hexToBytes(address), publicKey: hexToBytes(publicKey) }, Role.Patient, name);
    }
  });
  after(() => stack.stop());

  /** `count` new prekeys of `wallet`, the signed bundle and their indices. */
  const newPrekeys = async (wallet: Wallet, count: number) => {
    const bundle = await wallet.addPrekeys(count);
    return { bundle, indices: decodePrekeyBundle(hexToBytes(bundle)).prekeys.map((p) => p.index) };
  };
  const signedBy = async (wallet: Wallet, index: number): Promise<PublishedPrekey> => wallet.signedPrekey(index);

  test('a prekey published to this engine is its own, with or without the signed one, which must be the same key', async () => {
    const { bundle, indices } = await newPrekeys(alice, 2);
    await run(() => patients.publishPrekeys(alice.identity.address, bundle));
    const [index, other] = indices as [number, number];
    const published = await signedBy(alice, index);
    assert.equal(await run(() => patients.prekeyPublicKey(alice.identity.address, index)), published.publicKey);
    assert.equal(
      await run(() =>
        patients.signedPrekeyPublicKey(`0x${alice.identity.address.slice(2).toUpperCase()}`, index, published),
      ),
      published.publicKey,
    );
    // a key the patient did sign, but for another index than the one this engine holds under it
    const another = await signedBy(alice, other);
    await assert.rejects(
      run(() => patients.signedPrekeyPublicKey(alice.identity.address, index, another)),
      refusedAs(
        'PrekeyMismatch',
        new RegExp(`prekey ${index} of .* is ${published.publicKey}, not the ${another.publicKey}`),
      ),
    );
  });

  test('a prekey never published here is taken on the patient’s signature, checked against the Directory', async () => {
    const { indices } = await newPrekeys(alice, 1);
    const [index] = indices as [number];
    await assert.rejects(
      run(() => patients.prekeyPublicKey(alice.identity.address, index)),
      refusedAs('UnknownPrekey', /never published to this engine/),
    );
    const signed = await signedBy(alice, index);
    assert.equal(
      await run(() => patients.signedPrekeyPublicKey(alice.identity.address, index, signed)),
      signed.publicKey,
    );
    // the check leaves nothing behind: the prekey is not in this engine's pool
    assert.equal(await stack.engine.state.prekeyPublicKey(alice.identity.address.toLowerCase(), index), undefined);
  });

  test('a signed prekey that does not verify, or is not the patient’s, is refused for good', async () => {
    const { indices } = await newPrekeys(alice, 2);
    const [index, next] = indices as [number, number];
    const signed = await signedBy(alice, index);
    const flipped = (hex: Hex, at: number): Hex => {
      const bytes = hexToBytes(hex);
      bytes[at] = (bytes[at] as number) ^ 1;
      return toHex(bytes);
    };
    const { indices: mallorys } = await newPrekeys(mallory, 1);
    const malloryKey = await signedBy(mallory, mallorys[0] as number);
    for (const [what, claimedIndex, prekey] of [
      ['a signature with a bit flipped', index, { ...signed, signature: flipped(signed.signature, 5) }],
      [
        'another public key under the signature',
        index,
        await signedBy(alice, next).then((p) => ({ ...signed, publicKey: p.publicKey })),
      ],
      ["the signature of the patient's prekey at another index", next, signed],
      ["Mallory's own prekey, sent as Alice's", index, malloryKey],
    ] as const)
      await assert.rejects(
        run(() => patients.signedPrekeyPublicKey(alice.identity.address, claimedIndex, prekey)),
        refusedAs('CryptoError.BAD_SIGNATURE', /is not signed by/),
        what,
      );
  });

  test('a signed prekey of an account the Directory does not know, or a malformed one, is refused for good', async () => {
    const stranger = await memoryWallet();
    const { indices } = await newPrekeys(stranger, 1);
    const signed = await signedBy(stranger, indices[0] as number);
    await assert.rejects(
      run(() => patients.signedPrekeyPublicKey(stranger.identity.address, indices[0] as number, signed)),
      refusedAs('DirectoryError.NOT_REGISTERED', /patient 0x[0-9a-f]{40} is not registered/),
    );
    await assert.rejects(
      run(() =>
        patients.signedPrekeyPublicKey(alice.identity.address, 0, {
          ...signed,
          publicKey: signed.publicKey.slice(0, 90) as Hex,
        }),
      ),
      refusedAs('BadGrant', /publicKey must be 0x and 96 hex digits/),
    );
  });
});
