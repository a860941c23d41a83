import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startScratchKubo, startScratchTemporal, tempDir } from '../ops/scratch/services.js';
import { createDocumentsWorker } from './workflows/worker.js';
import { KuboContentStore, parseCid, type ContentStore } from '../core/storage/index.js';
import { EmbeddedContentStore } from '../core/storage/node/index.js';
import { fetchDocument, storeDocument } from './workflows/index.js';

describe('storeDocument workflow on a real Temporal server', () => {
  let temporal: TestWorkflowEnvironment;
  let kubo: Awaited<ReturnType<typeof startScratchKubo>>;
  let home: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    [temporal, kubo, home] = await Promise.all([startScratchTemporal(), startScratchKubo(), tempDir('wf')]);
  });
  after(async () => {
    await temporal.teardown();
    await kubo.stop();
    await home.remove();
  });

  const backends: Array<[string, () => ContentStore]> = [
    ['embedded', () => new EmbeddedContentStore(home.path)],
    ['kubo', () => new KuboContentStore(kubo.apiUrl)],
  ];

  for (const [name, makeStore] of backends) {
    test(`stores and fetches a document through activities (${name} backend)`, async () => {
      const store = makeStore();
      const taskQueue = `store-${name}`;
      const worker = await createDocumentsWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace ?? 'default',
        taskQueue,
        store,
      });
      const document = randomBytes(300_000);
      const result = await worker.runUntil(
        temporal.client.workflow.execute(storeDocument, { taskQueue, workflowId: `store-${name}-1`, args: [document] }),
      );
      assert.equal(result.size, document.length);
      assert.equal(
        result.cid,
        (await store.put(document)).toString(),
        'the workflow stored under the CID the store derives',
      );
      assert.deepEqual(Buffer.from(await store.get(parseCid(result.cid))), document);

      const history = await temporal.client.workflow.getHandle(`store-${name}-1`).fetchHistory();
      const activities = (history.events ?? [])
        .filter((event) => event.activityTaskScheduledEventAttributes)
        .map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name);
      assert.deepEqual(activities, ['storeContent', 'fetchContent']);
    });
  }

  test('a bad CID fails the workflow at the first attempt, naming the CID', async () => {
    const taskQueue = 'store-bad';
    const worker = await createDocumentsWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace ?? 'default',
      taskQueue,
      store: new EmbeddedContentStore(home.path),
    });
    await worker.runUntil(async () => {
      const run = temporal.client.workflow.execute(fetchDocument, {
        taskQueue,
        workflowId: 'fetch-bad-1',
        args: ['bafy-not-a-cid'],
      });
      await assert.rejects(run, (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        const failure = error.cause?.cause;
        assert.ok(failure instanceof ApplicationFailure, String(failure));
        assert.equal(failure.type, 'StorageError.BAD_CID');
        assert.match(failure.message, /bafy-not-a-cid/);
        return true;
      });
    });
    const history = await temporal.client.workflow.getHandle('fetch-bad-1').fetchHistory();
    const started = (history.events ?? []).filter((event) => event.activityTaskStartedEventAttributes);
    assert.equal(started[0]?.activityTaskStartedEventAttributes?.attempt, 1);
  });
});
