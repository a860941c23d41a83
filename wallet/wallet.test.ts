import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { initPre } from '../core/crypto/index.js';
import { decodePrekeyBundle, encryptKeystore, prekeyMessage, type KeystoreJson } from '../core/keys/index.js';
import { Wallet, type KeystoreSlot } from './wallet.js';

const SCRYPT = { n: 2 ** 10, r: 8, p: 1 };

/** A wallet whose keystore holds `json`, kept in memory. */
function memorySlot(json: KeystoreJson): KeystoreSlot {
  let stored = json;
  return {
    read: () => Promise.resolve(stored),
    write: (next) => {
      stored = next;
      return Promise.resolve();
    },
  };
}

before(() => initPre());

test('the signed prekey a grant carries: the vector of docs/formats.md § Grant requests', async () => {
  const material = {
    signingKey: hexToBytes('11'.repeat(32)),
    preKeys: [],
    prekeys: [{ id: 7, secretKey: hexToBytes(`${'00'.repeat(31)}02`) }],
  };
  const wallet = await Wallet.open(memorySlot(await encryptKeystore(material, 'pw', SCRYPT)), 'pw');
  assert.equal(wallet.identity.address, '0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a');
  const signed = await wallet.signedPrekey(7);
  assert.deepEqual(signed, {
    publicKey: '0xa572cbea904d67468808c8eb50a9450c9721db309128012543902d0ac358a62ae28f75bb8f1c7c42c39a8c5529bf0f4e',
    signature:
      '0xea8e479203af3b0455da4d0fcc158287c89d6cef113e20de79c6c649b6695fac1c62b34e5b7232a7626c461c72df0fb00a9bbc9bc0b0abf56e4b9efcb880bcb100',
  });
  const message = prekeyMessage(hexToBytes(wallet.identity.address.slice(2)), 7, hexToBytes(signed.publicKey.slice(2)));
  assert.equal(message.length, 88);
  assert.equal(bytesToHex(keccak_256(message)), '4ac653366a32a71bdbbaaf0abf95a8b5d20aba927b604b54ac2ad14e8989465c');
  await assert.rejects(wallet.signedPrekey(8), /no private half for prekey 8/);
});

test('a signed prekey is the very entry of the bundle the wallet published it in', async () => {
  const material = { signingKey: hexToBytes('22'.repeat(32)), preKeys: [], prekeys: [] };
  const wallet = await Wallet.open(memorySlot(await encryptKeystore(material, 'pw', SCRYPT)), 'pw');
  const bundle = decodePrekeyBundle(hexToBytes((await wallet.addPrekeys(3)).slice(2)));
  for (const entry of bundle.prekeys)
    assert.deepEqual(await wallet.signedPrekey(entry.index), {
      publicKey: `0x${bytesToHex(entry.publicKey)}`,
      signature: `0x${bytesToHex(entry.signature)}`,
    });
});
