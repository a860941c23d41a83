import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type BuildFailure } from 'esbuild';

/**
 * core/ and wallet/ outside their node/ folders must run in a browser unchanged (docs/design.md
 * § Layout). The import rules see only our own imports; this bundles every entry point for the
 * browser, so a Node built-in reached through any dependency, however deep, fails it.
 */
const browserSafe = [
  'core/audit/record-checks.ts',
  'core/audit/trace-checks.ts',
  'core/crypto/index.ts',
  'core/enrolment/offer.ts',
  'core/keys/index.ts',
  'core/ledger/chain-gateway.ts',
  'core/ledger/contract-calls.ts',
  'core/ledger/directory.ts',
  'core/ledger/fisco-client.ts',
  'core/ledger/inspect-transaction.ts',
  'core/records/content-view.ts',
  'core/records/record-format.ts',
  'core/registration/request.ts',
  'core/inbox/inbox-message.ts',
  'core/inbox/request-signature.ts',
  'core/roles.ts',
  'core/storage/gateway-content.ts',
  'core/storage/index.ts',
  'core/trace/batch-format.ts',
  'core/trace/read-trace.ts',
  'core/trace/trace-id-wasm.ts',
  'wallet/inbox-client.ts',
  'wallet/open-record.ts',
  'wallet/wallet.ts',
];

const bundleForBrowser = (entryPoints: string[]) =>
  build({
    entryPoints,
    absWorkingDir: new URL('..', import.meta.url).pathname,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    outdir: 'bundle',
    logLevel: 'silent',
  });

test('core/ and wallet/ bundle for a browser with no Node built-in anywhere in their imports', async () => {
  const result = await bundleForBrowser(browserSafe);
  assert.equal(result.errors.length, 0);
  assert.equal(result.outputFiles.length, browserSafe.length);
});

test('a node/ file does not bundle for a browser (the check can fail)', async () => {
  await assert.rejects(bundleForBrowser(['core/keys/node/keystore-file.ts']), (error: unknown) => {
    const texts = (error as BuildFailure).errors.map((e) => e.text).join('\n');
    assert.match(texts, /node:fs\/promises|built into node/);
    return true;
  });
});
