import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CID } from 'multiformats/cid';
import { identity } from 'multiformats/hashes/identity';
import * as raw from 'multiformats/codecs/raw';
import { startScratchKubo, tempDir } from '../../ops/scratch/services.js';
import { KuboContentStore, parseCid, StorageError, type ContentStore } from './index.js';
import { EmbeddedContentStore } from './node/index.js';
import { readFileDag } from './read-dag.js';
import { CHUNK_SIZE, MAX_CHILDREN_PER_NODE } from './cid.js';

const run = promisify(execFile);

/** Deterministic pseudo-random bytes, produced lazily so large payloads are never held whole. */
function* generated(total: number, seed: string): Generator<Uint8Array> {
  let counter = 0;
  for (let produced = 0; produced < total;) {
    const block = createHash('sha512').update(`${seed}:${counter++}`).digest();
    const piece = new Uint8Array(65_536);
    for (let i = 0; i < piece.length; i += block.length)
      piece.set(block.subarray(0, Math.min(block.length, piece.length - i)), i);
    const take = Math.min(piece.length, total - produced);
    produced += take;
    yield piece.subarray(0, take);
  }
}

async function digestOf(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of chunks) {
    hash.update(chunk);
    length += chunk.length;
  }
  return { sha256: hash.digest('hex'), length };
}

const expectStorageError = (code: StorageError['code']) => (error: unknown) =>
  error instanceof StorageError && error.code === code;

describe('content store', () => {
  let kubo: Awaited<ReturnType<typeof startScratchKubo>>;
  let home: Awaited<ReturnType<typeof tempDir>>;
  let stores: ContentStore[];
  let embedded: EmbeddedContentStore;

  before(async () => {
    kubo = await startScratchKubo();
    home = await tempDir('store');
    embedded = new EmbeddedContentStore(home.path);
    stores = [embedded, new KuboContentStore(kubo.apiUrl)];
  });
  after(async () => {
    await kubo.stop();
    await home.remove();
  });

  test('both backends answer their health check', async () => {
    for (const store of stores) await store.check();
  });

  const sizes = [0, 1, 1000, CHUNK_SIZE, CHUNK_SIZE + 1, 1_048_576, 3 * CHUNK_SIZE - 7];
  for (const size of sizes) {
    test(`round trip of ${size} bytes gives one CID on both backends, equal to kubo's CLI`, async () => {
      const bytes = randomBytes(size);
      const cids = [];
      for (const store of stores) {
        const cid = await store.put(bytes);
        assert.deepEqual(Buffer.from(await store.get(cid)), bytes, `${store.backend} returned other bytes`);
        assert.equal(await store.has(cid), true);
        cids.push(cid.toString());
      }
      const dir = await tempDir('file');
      try {
        const file = join(dir.path, 'payload');
        await writeFile(file, bytes);
        const { stdout } = await run(
          kubo.executable,
          ['add', '--cid-version=1', '--raw-leaves', '--only-hash', '-Q', file],
          {
            env: { ...process.env, IPFS_PATH: kubo.repo },
          },
        );
        assert.deepEqual(cids, [stdout.trim(), stdout.trim()]);
      } finally {
        await dir.remove();
      }
      const [cid] = cids;
      assert.ok(cid);
      assert.equal(CID.parse(cid).version, 1);
    });
  }

  test(`a 64 MB stream (more than ${MAX_CHILDREN_PER_NODE} chunks, two DAG levels) streams in and out with the same CID`, async () => {
    const total = 64 * 1024 * 1024;
    const expected = await digestOf(generated(total, 'large'));
    const cids = [];
    for (const store of stores) {
      const cid = await store.put(generated(total, 'large'));
      assert.deepEqual(await digestOf(store.stream(cid)), expected, `${store.backend} streamed other bytes`);
      cids.push(cid.toString());
    }
    const [cid, other] = cids;
    assert.ok(cid);
    assert.equal(cid, other);
    assert.equal(CID.parse(cid).code, 0x70, 'a multi-chunk file is a dag-pb root');
  });

  test('an embedded block altered on disk is refused, naming the CID', async () => {
    const bytes = randomBytes(2 * CHUNK_SIZE + 5);
    const cid = await embedded.put(bytes);
    const shardDirs = await readdir(join(home.path, 'blocks'));
    const leafFiles: string[] = [];
    for (const shard of shardDirs) {
      for (const name of await readdir(join(home.path, 'blocks', shard))) {
        if (name.startsWith('bafkrei')) leafFiles.push(join(home.path, 'blocks', shard, name));
      }
    }
    // alter every raw leaf so that whichever belongs to this file is hit
    for (const file of leafFiles) await writeFile(file, Buffer.from('tampered'));
    await assert.rejects(
      embedded.get(cid),
      (error: unknown) =>
        expectStorageError('INTEGRITY')(error) && /does not match its CID/.test((error as Error).message),
    );
  });

  test('rawBlock hands back a block as stored, unverified, for an auditor to re-hash', async () => {
    const bytes = randomBytes(1000);
    for (const store of stores) {
      const cid = await store.put(bytes);
      assert.deepEqual(Buffer.from(await store.rawBlock(cid)), bytes, store.backend);
    }
    const cid = await embedded.put(randomBytes(64));
    const name = cid.toString();
    await writeFile(join(home.path, 'blocks', name.slice(-3, -1), `${name}.data`), 'replaced');
    assert.equal(Buffer.from(await embedded.rawBlock(cid)).toString(), 'replaced');
  });

  test('a block source that lies is refused before any byte is returned', async () => {
    const cid = await embedded.put(new TextEncoder().encode('the real record'));
    const received: Uint8Array[] = [];
    await assert.rejects(async () => {
      for await (const chunk of readFileDag(cid, () => Promise.resolve(new TextEncoder().encode('a forged record'))))
        received.push(chunk);
    }, expectStorageError('INTEGRITY'));
    assert.equal(received.length, 0);
  });

  test('bad CIDs give a clear error', () => {
    assert.throws(
      () => parseCid('not-a-cid'),
      (error: unknown) => expectStorageError('BAD_CID')(error) && /not a valid CID/.test((error as Error).message),
    );
    assert.throws(() => parseCid(''), expectStorageError('BAD_CID'));
    const identityCid = CID.createV1(raw.code, identity.digest(new Uint8Array([1, 2, 3])));
    assert.throws(
      () => parseCid(identityCid.toString()),
      (error: unknown) => expectStorageError('UNSUPPORTED')(error) && /sha2-256/.test((error as Error).message),
    );
  });

  test('missing content is NOT_FOUND on both backends, and has() is false', async () => {
    const other = await tempDir('other');
    const absent = await new EmbeddedContentStore(other.path).put(randomBytes(64));
    await other.remove();
    for (const store of stores) {
      assert.equal(await store.has(absent), false, store.backend);
      await assert.rejects(
        store.get(absent),
        (error: unknown) =>
          expectStorageError('NOT_FOUND')(error) && (error as Error).message.includes(absent.toString()),
      );
    }
  });

  test('an unreachable kubo is reported UNAVAILABLE', async () => {
    const store = new KuboContentStore('http://127.0.0.1:1');
    await assert.rejects(store.check(), expectStorageError('UNAVAILABLE'));
  });
});
