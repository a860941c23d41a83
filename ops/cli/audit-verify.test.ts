import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { toHex, type Hex } from 'viem';
import { RecordRegistry } from '../../contracts/artifacts.js';
import { readContract } from '../../core/ledger/contract-calls.js';
import { generateTraceCode } from '../../core/crypto/index.js';
import { RECORD_CHECKS } from '../../core/audit/record-checks.js';
import { TRACE_CHECKS } from '../../core/audit/trace-checks.js';
import type { CheckStatus, Verdict } from '../../core/audit/verdict.js';
import { createHttpApp } from '../../connectors/http/app.js';
import { auditVerifyRoutes } from '../../connectors/http/audit-verify-routes.js';
import { Role } from '../../core/roles.js';
import { parseCid } from '../../core/storage/index.js';
import { traceId } from '../../native/index.js';
import { CodecKeyring } from '../codec/keyring.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { apiAuditVerifier } from '../audit/verify-api.js';
import { SCRATCH_PASSWORD, startScratchEngine, type ScratchEngine } from '../scratch/engine.js';
import { authorize } from '../../core/operators/authorization.js';
import type { StoryOutcome } from '../demo/story.js';
import { runStoryOn, storyCredentials, storyHl7 } from '../../test/harness/story.js';
import { workerEnv } from '../scratch/worker-process.js';
import { runYilian } from '../../test/harness/cli-process.js';
import { plantRevocation, replaceStoredBlock, swapProof } from '../../test/harness/planted-faults.js';

interface Audit {
  code: number | null;
  stderr: string;
  kind: string;
  id: string;
  holds: boolean;
  verdicts: Verdict[];
  ms: number;
}

/**
 * `yilian audit verify record|trace` as a real process against a scratch engine that ran the
 * seed story, with three faults planted behind the engine's back: a stored object replaced, an
 * author revoked (in the chain's state) before their record, a push whose proof was swapped.
 * Each must be reported by the one check that catches it and by no other.
 */
describe('yilian audit verify', () => {
  let stack: ScratchEngine;
  let env: NodeJS.ProcessEnv;
  let outcome: StoryOutcome;
  let aliceWallet: string;
  let carolWallet: string;
  const planted = {} as { replacedContent: Hex; revokedAuthor: Hex; swappedCode: string };
  let api: { server: Server; url: string };
  const tokens = { regulator: '', manufacturer: '' };

  const yilianFed = (stdin: string | null, ...args: string[]) =>
    runYilian(args, { env, ...(stdin === null ? {} : { stdin }) });
  const yilian = (...args: string[]) => yilianFed(null, ...args);
  const auditFed = async (stdin: string | null, ...args: string[]): Promise<Audit> => {
    const { code, stdout, stderr, ms } = await yilianFed(stdin, 'audit', 'verify', ...args, '--json');
    assert.ok(stdout.length > 0, `no verdicts (exit ${String(code)}): ${stderr}`);
    return { code, stderr, ms, ...(JSON.parse(stdout) as Omit<Audit, 'code' | 'stderr' | 'ms'>) };
  };
  const audit = (...args: string[]) => auditFed(null, ...args);
  /** Each check's status; the details of the ones not PASS, to read when an assertion fails. */
  const statuses = (verdicts: Verdict[]) => Object.fromEntries(verdicts.map((v) => [v.check, v.status]));
  const expected = (checks: readonly string[], others: Record<string, CheckStatus>) =>
    Object.fromEntries(checks.map((check) => [check, others[check] ?? 'PASS']));
  const notPassing = (verdicts: Verdict[]) =>
    JSON.stringify(
      verdicts.filter((v) => v.status !== 'PASS'),
      null,
      1,
    );

  before(async () => {
    stack = await startScratchEngine();
    await stack.startWorkers();
    outcome = await runStoryOn(stack, { batchSize: 4, say: () => {} });
    aliceWallet = join(stack.home, 'wallets', `alice-${outcome.runId}`);
    carolWallet = join(stack.home, 'wallets', `carol-${outcome.runId}`);
    env = {
      ...workerEnv(stack),
      YILIAN_API_PORT: new URL(stack.apiUrl).port,
      YILIAN_WALLET_PASSWORD: SCRATCH_PASSWORD,
    };
    const [, bob, manufacturer, carrier] = outcome.localIdentities as [Hex, Hex, Hex, Hex];
    const hl7 = await storyHl7();
    const anchor = (author: string, controlId: string) =>
      stack.workflows.execute.anchorRecord({
        source: { kind: 'hl7', sendingFacility: 'AUDIT', controlId: `${controlId}-${outcome.runId}` },
        record: hl7,
        patient: outcome.patient,
        author,
      });

    // (a) another record's ciphertext put under this record's CID, as a store's disk or a kubo
    // node serving other bytes would present it
    const replaced = await anchor(bob, 'replaced');
    const clean = await stack.engine.store.get(parseCid(outcome.cid));
    await replaceStoredBlock(stack.home, replaced.cid, clean);
    planted.replacedContent = replaced.recordId as Hex;

    // (b) Dr. Eve writes a record; the chain's state then says she was revoked the block before
    const eve = await stack.workflows.execute.registerIdentity(
      authorize(stack.operator, 'registerIdentity', { name: `Dr. Eve (${outcome.runId})`, role: Role.Doctor }),
    );
    const byEve = await anchor(eve.address, 'revoked');
    planted.revokedAuthor = byEve.recordId as Hex;

    // (c) one more package, produced and shipped; the shipment's push then carries the production's proof
    const code = generateTraceCode();
    const push = (participant: Hex, event: string) =>
      stack.workflows.execute.traceStep({
        source: { kind: 'erp', org: 'Audit', eventId: `${event}-${outcome.runId}` },
        participant,
        items: [{ code, data: JSON.stringify({ event, item: 1 }) }],
      });
    const produced = await push(manufacturer, 'produced');
    const shipped = await push(carrier, 'shipped');
    planted.swappedCode = code;
    await stack.stopWorkers();

    const [, createdAt] = await readContract(stack.chain, {
      address: stack.engine.contracts.recordRegistry,
      abi: RecordRegistry.abi,
      functionName: 'get',
      args: [planted.revokedAuthor],
    });
    plantRevocation(stack.devchain.dataDir, stack.engine.contracts.directory, eve.address, Number(createdAt) - 1);
    swapProof(
      stack.devchain.dataDir,
      shipped.transactionHash as string,
      produced.transactionHash as string,
      (await stack.engine.keyring.identity(carrier)).secretKey,
    );
    await stack.devchain.restart();

    Object.assign(tokens, await storyCredentials(stack, outcome));
    const codec = new EncryptionCodec(CodecKeyring.parse(stack.codecKeys));
    const server = createServer(
      createHttpApp({
        health: {},
        routes: {
          '/v1/audit/verify': auditVerifyRoutes(
            apiAuditVerifier(
              {
                chain: stack.chain,
                contracts: stack.engine.contracts,
                store: stack.engine.store,
                temporal: stack.client,
                codec,
              },
              (key) => stack.engine.state.anchoredMessage(key),
            ),
            { state: stack.engine.state },
          ),
        },
        log: () => {},
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/audit/verify` };
  });
  after(async () => {
    await new Promise<void>((resolve) => api.server.close(() => resolve()));
    await stack.stop();
  });

  test('a clean record passes every check: the patient with her wallet, the grantee with his, and without a wallet the content check is skipped', async (t) => {
    const id = outcome.record.recordId;
    const [patient, grantee, anyone] = await Promise.all([
      audit('record', id, '--wallet', aliceWallet),
      audit('record', id, '--wallet', carolWallet),
      audit('record', id),
    ]);
    for (const run of [patient, grantee])
      assert.deepEqual(
        { code: run.code, holds: run.holds, checks: statuses(run.verdicts) },
        { code: 0, holds: true, checks: expected(RECORD_CHECKS, {}) },
        notPassing(run.verdicts),
      );
    assert.deepEqual(
      { code: anyone.code, holds: anyone.holds, checks: statuses(anyone.verdicts) },
      { code: 0, holds: true, checks: expected(RECORD_CHECKS, { 'decrypt-signature': 'SKIP' }) },
      notPassing(anyone.verdicts),
    );
    const byCheck = Object.fromEntries(patient.verdicts.map((v) => [v.check, v.detail]));
    assert.match(byCheck['id-binds-cid'] ?? '', /the CID from the reader's inbox item/);
    assert.ok(
      anyone.verdicts
        .find((v) => v.check === 'id-binds-cid')
        ?.detail.endsWith(`the CID from workflow ${outcome.recordWorkflowId}'s history`),
      notPassing(anyone.verdicts),
    );
    const [, registered, created] =
      /Dr\. Bob .*a Doctor of Good Health Hospital [^,]*, registered in block (\d+), unrevoked at the record's block (\d+)$/.exec(
        byCheck.author ?? '',
      ) ?? [];
    assert.ok(Number(registered) < Number(created), byCheck.author);
    t.diagnostic(`verify record with a wallet: ${patient.ms} ms (process start included); without: ${anyone.ms} ms`);
  });

  test('one verdict line per check, and a summary, without --json', async (t) => {
    const { code, stdout } = await yilian('audit', 'verify', 'record', outcome.record.recordId);
    t.diagnostic(stdout);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines.slice(0, -1).map((line) => line.split(/\s+/).slice(0, 2)),
      RECORD_CHECKS.map((check) => [check === 'decrypt-signature' ? 'SKIP' : 'PASS', check]),
    );
    assert.equal(lines.at(-1), `record ${outcome.record.recordId} holds`);
  });

  test('a message anchored by its own anchorRecord run, as before batches: found by its key, its run named', async () => {
    const key = outcome.recordWorkflowId;
    const [run, text, malformed] = await Promise.all([
      audit('message', key),
      yilian('audit', 'verify', 'message', key),
      yilian('audit', 'verify', 'message', `hl7:A:${'9'.repeat(1000)}`),
    ]);
    assert.deepEqual(
      { code: run.code, holds: run.holds, checks: statuses(run.verdicts) },
      {
        code: 0,
        holds: true,
        checks: { message: 'PASS', ...expected(RECORD_CHECKS, { 'decrypt-signature': 'SKIP' }) },
      },
      notPassing(run.verdicts),
    );
    assert.match(
      run.verdicts[0]?.detail ?? '',
      new RegExp(`^anchored by its own anchorRecord run ${escape(key)} \\(run [0-9a-f-]+\\)$`),
    );
    assert.equal(text.code, 0);
    assert.equal(text.stdout.trimEnd().split('\n').at(-1), `message ${key} holds`);
    assert.equal(malformed.code, 2);
    assert.match(
      malformed.stderr,
      /^yilian: a message key is 1 to 1000 characters without control characters, like hl7:<MSH-4>:<MSH-10>, not "hl7:A:9+"\n$/,
    );
  });

  test('(a) a stored object replaced: content-hash fails, and the checks that need the content are skipped, naming it', async () => {
    const run = await audit('record', planted.replacedContent, '--wallet', aliceWallet);
    assert.deepEqual(
      { code: run.code, holds: run.holds, checks: statuses(run.verdicts) },
      {
        code: 1,
        holds: false,
        checks: expected(RECORD_CHECKS, { 'content-hash': 'FAIL', ciphertext: 'SKIP', 'decrypt-signature': 'SKIP' }),
      },
      notPassing(run.verdicts),
    );
    const detail = (check: string) => run.verdicts.find((v) => v.check === check)?.detail ?? '';
    assert.match(detail('content-hash'), /does not match its CID/);
    assert.match(detail('ciphertext'), /see content-hash/);
    assert.match(detail('decrypt-signature'), /see content-hash/);
  });

  test('(b) an author revoked before the record was written (a compromised chain state): only the author check fails', async () => {
    const run = await audit('record', planted.revokedAuthor, '--wallet', aliceWallet);
    assert.deepEqual(
      { code: run.code, holds: run.holds, checks: statuses(run.verdicts) },
      { code: 1, holds: false, checks: expected(RECORD_CHECKS, { author: 'FAIL' }) },
      notPassing(run.verdicts),
    );
    assert.match(
      run.verdicts.find((v) => v.check === 'author')?.detail ?? '',
      /Dr\. Eve .* was revoked in block (\d+), before the record's block \d+/,
    );
  });

  test("a history that names another record fails the history check alone (the reader's inbox gives the CID)", async () => {
    const other = `hl7:AUDIT:replaced-${outcome.runId}`;
    const run = await audit('record', outcome.record.recordId, '--wallet', aliceWallet, '--workflow', other);
    assert.deepEqual(
      { code: run.code, checks: statuses(run.verdicts) },
      { code: 1, checks: expected(RECORD_CHECKS, { history: 'FAIL' }) },
      notPassing(run.verdicts),
    );
    assert.match(
      run.verdicts.find((v) => v.check === 'history')?.detail ?? '',
      /^workflow hl7:AUDIT:replaced-\w+'s history names record id 0x[0-9a-f]{64}, CID \w+, not \w+, transaction 0x[0-9a-f]{64}, not 0x[0-9a-f]{64}$/,
    );
  });

  test('a clean trace passes every check (its code read from standard input, out of the process list)', async (t) => {
    const run = await auditFed(`${outcome.traceCodes[0] ?? ''}\n`, 'trace');
    assert.deepEqual(
      { code: run.code, holds: run.holds, id: run.id, checks: statuses(run.verdicts) },
      { code: 0, holds: true, id: outcome.traceIds[0], checks: expected(TRACE_CHECKS, {}) },
      notPassing(run.verdicts),
    );
    assert.match(
      run.verdicts.find((v) => v.check === 'senders')?.detail ?? '',
      /^Manufacturer \(\w+\) \(0x[0-9a-f]{40}\), a Manufacturer, registered in block \d+, unrevoked at step 0's block \d+; Carrier .*; Pharmacy .*, unrevoked at step 2's block \d+$/,
    );
    t.diagnostic(`verify trace (3 steps, 3 batch proofs of 4 items): ${run.ms} ms (process start included)`);
  });

  test('(c) a push whose calldata carries another valid proof: only the proofs check fails', async () => {
    const run = await audit('trace', planted.swappedCode);
    assert.deepEqual(
      { code: run.code, holds: run.holds, checks: statuses(run.verdicts) },
      { code: 1, holds: false, checks: expected(TRACE_CHECKS, { proofs: 'FAIL' }) },
      notPassing(run.verdicts),
    );
    assert.match(
      run.verdicts.find((v) => v.check === 'proofs')?.detail ?? '',
      /^step 1: the proof in transaction 0x[0-9a-f]{64} does not verify/,
    );
  });

  test('bad input is named, an unknown record or trace fails its on-chain check', async () => {
    const [malformed, badCode, unknown, unknownTrace] = await Promise.all([
      yilian('audit', 'verify', 'record', '0x1234'),
      yilian('audit', 'verify', 'trace', 'not a code'),
      audit('record', toHex(randomBytes(32))),
      audit('trace', generateTraceCode()),
    ]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /^yilian: a record id is 0x and 64 hex digits, not "0x1234"\n$/);
    assert.equal(badCode.code, 2);
    assert.doesNotMatch(badCode.stderr, /\n\s+at /);
    assert.deepEqual(
      { code: unknown.code, checks: statuses(unknown.verdicts) },
      {
        code: 1,
        checks: expected(RECORD_CHECKS, {
          'on-chain': 'FAIL',
          'id-binds-cid': 'SKIP',
          author: 'SKIP',
          'content-hash': 'SKIP',
          'wrapped-key': 'SKIP',
          ciphertext: 'SKIP',
          history: 'SKIP',
          'decrypt-signature': 'SKIP',
        }),
      },
    );
    assert.equal(unknownTrace.code, 1);
    assert.match(unknownTrace.verdicts[0]?.detail ?? '', /^DrugTrace holds no steps for trace id 0x/);
  });

  describe('GET /v1/audit/verify', () => {
    const get = async (path: string, token: string | null = tokens.regulator) => {
      const started = performance.now();
      const response = await fetch(`${api.url}${path}`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
      return {
        status: response.status,
        body: (await response.json()) as { holds?: boolean; state?: string; verdicts?: Verdict[]; error?: string },
        ms: Math.round(performance.now() - started),
      };
    };

    test('records: integrity, authorship and timing, never content; the planted fault fails its check', async (t) => {
      const clean = await get(`/records/${outcome.record.recordId}`);
      const replaced = await get(`/records/${planted.replacedContent}`);
      t.diagnostic(`one record audit in process: ${clean.ms} ms`);
      assert.equal(clean.status, 200);
      assert.deepEqual(statuses(clean.body.verdicts ?? []), expected(RECORD_CHECKS, { 'decrypt-signature': 'SKIP' }));
      assert.equal(clean.body.holds, true);
      assert.match(clean.body.verdicts?.at(-1)?.detail ?? '', /integrity, authorship and timing only/);
      const text = JSON.stringify(clean.body);
      for (const line of (await storyHl7()).split(/\r|\n/).filter((l) => l.length > 12))
        assert.ok(!text.includes(line), 'record text in the answer');
      assert.deepEqual(
        statuses(replaced.body.verdicts ?? []),
        expected(RECORD_CHECKS, {
          'content-hash': 'FAIL',
          ciphertext: 'SKIP',
          'decrypt-signature': 'SKIP',
        }),
      );
    });

    test('traces by public id: the signatures need the code and are skipped; the swapped proof fails', async (t) => {
      const clean = await get(`/traces/${outcome.traceIds[0] ?? ''}`);
      const swapped = await get(`/traces/${toHex(traceId(planted.swappedCode))}`);
      t.diagnostic(`one trace audit (3 steps, 3 batch proofs) in process: ${clean.ms} ms`);
      assert.deepEqual(statuses(clean.body.verdicts ?? []), expected(TRACE_CHECKS, { signatures: 'SKIP' }));
      assert.deepEqual(
        statuses(swapped.body.verdicts ?? []),
        expected(TRACE_CHECKS, { signatures: 'SKIP', proofs: 'FAIL' }),
      );
      assert.equal(swapped.body.holds, false);
    });

    test('messages by key: where the engine filed it and the record checks, without content; an unknown key is a 404, a malformed one a 400', async () => {
      const key = outcome.recordWorkflowId;
      const [anchored, unknown, long, control] = await Promise.all([
        get(`/messages/${encodeURIComponent(key)}`),
        get(`/messages/${encodeURIComponent(`hl7:NOWHERE:${outcome.runId}`)}`),
        get(`/messages/${'9'.repeat(1001)}`),
        get('/messages/hl7%3AA%3A1%0A'),
      ]);
      assert.deepEqual(
        { status: anchored.status, state: anchored.body.state, holds: anchored.body.holds },
        { status: 200, state: 'anchored', holds: true },
      );
      assert.deepEqual(statuses(anchored.body.verdicts ?? []), {
        message: 'PASS',
        ...expected(RECORD_CHECKS, { 'decrypt-signature': 'SKIP' }),
      });
      assert.match(anchored.body.verdicts?.at(-1)?.detail ?? '', /integrity, authorship and timing only/);
      assert.deepEqual(
        [unknown.status, unknown.body.error],
        [
          404,
          `no message hl7:NOWHERE:${outcome.runId}: the engine's state holds no claim of it, and Temporal no run under that id`,
        ],
      );
      for (const malformed of [long, control]) {
        assert.equal(malformed.status, 400);
        assert.match(malformed.body.error ?? '', /^a message key is 1 to 1000 characters without control characters/);
      }
    });

    test('only a regulator audits: no credential is a 401, another role a 403', async () => {
      const path = `/records/${outcome.record.recordId}`;
      const [none, manufacturer] = await Promise.all([get(path, null), get(path, tokens.manufacturer)]);
      assert.deepEqual(
        [
          [none.status, none.body.error],
          [manufacturer.status, manufacturer.body.error],
        ],
        [
          [401, 'an Authorization: Bearer <token> header is required'],
          [403, `Manufacturer (${outcome.runId}) is a Manufacturer: an audit is for regulators`],
        ],
      );
    });

    test('a malformed id is a 400 naming it', async () => {
      for (const path of [
        '/records/0x12',
        '/traces/nothex',
        `/records/0x${'g'.repeat(64)}`,
        `/traces/0x${'a'.repeat(200)}`,
      ]) {
        const answer = await get(path);
        assert.equal(answer.status, 400, path);
        assert.match(answer.body.error ?? '', /is 0x and 64 hex digits/);
      }
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
