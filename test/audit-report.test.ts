import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { hexToBytes } from 'viem';
import { repoRoot } from '../ops/config/index.js';
import { startScratchEngine, SCRATCH_PASSWORD, SCRATCH_SCRYPT, type ScratchEngine } from '../ops/scratch/engine.js';
import { scratchFhirServer, type ScratchFhirServer } from '../ops/scratch/fhir.js';
import type { StoryOutcome } from '../ops/demo/story.js';
import { auditReport } from '../ops/audit/report.js';
import { auditReportSchema, type AuditReport } from '../core/audit/report.js';
import { scanChain } from '../core/audit/chain-scan.js';
import { PeriodError } from '../core/audit/period.js';
import { Role } from '../core/roles.js';
import { loadKeystore } from '../core/keys/node/keystore-file.js';
import { authorize } from '../core/operators/authorization.js';
import { createHttpApp } from '../connectors/http/app.js';
import { auditReportRoutes } from '../connectors/http/audit-report-routes.js';
import { fetchInbox } from '../wallet/inbox-client.js';
import { openRecord } from '../wallet/open-record.js';
import { walletDir } from '../wallet/node/wallet-dir.js';
import { Wallet } from '../wallet/wallet.js';
import { engineSecrets, runStoryOn, storyCredentials, storyHl7, storySecrets } from './harness/story.js';
import { workerEnv } from '../ops/scratch/worker-process.js';
import { entryOf, hl7Work, newKeyring, PATIENT_ID, PATIENT_NAME, waitFor } from './harness/intake.js';
import { startScratchRedis } from '../ops/scratch/services.js';
import { freePort } from '../ops/services/ports.js';
import { CodecKeyring } from '../ops/codec/keyring.js';
import { openIntakeQueue } from '../connectors/intake/queue.js';
import { openIntakeAdmin } from '../connectors/intake/admin.js';
import { startDispatcher } from '../connectors/intake/dispatcher.js';
import { runYilian, withoutYilian } from './harness/cli-process.js';
import { findNeedles, type Needle } from './harness/privacy-scan.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `yilian audit replay --all` and `yilian audit report` as real processes, and
 * `/v1/audit/report`, on one scratch engine after the seed story and a grant to a regulator:
 * what they count, that a change to one workflow is caught for exactly its runs, that the report
 * holds no PHI, trace code or key, and that its FHIR form passes HAPI FHIR's R4 validation.
 */
describe('audit: replay --all, the report and its route', () => {
  let stack: ScratchEngine;
  let fhir: ScratchFhirServer;
  let redis: Awaited<ReturnType<typeof startScratchRedis>>;
  let outcome: StoryOutcome;
  let env: NodeJS.ProcessEnv;
  let started: Date;
  let storyDone: Date;
  let regulatorRead: string | undefined;
  let api: { url: string; server: Server };
  const tokens: Record<'regulator' | 'manufacturer', string> = { regulator: '', manufacturer: '' };

  const yilian = (...args: string[]) => yilianWith({}, ...args);
  const yilianWith = (extra: NodeJS.ProcessEnv, ...args: string[]) => runYilian(args, { env: { ...env, ...extra } });

  before(async () => {
    [stack, fhir, redis] = await Promise.all([
      startScratchEngine().then(async (engine) => {
        await engine.startWorkers();
        return engine;
      }),
      scratchFhirServer(),
      startScratchRedis(),
    ]);
    started = new Date();
    outcome = await runStoryOn(stack, { batchSize: 4, say: () => undefined });

    // a regulator's inspector with a wallet of their own, to whom Alice grants her record
    const alice = outcome.people.alice;
    const inspector = await Wallet.create(
      walletDir(join(stack.home, 'wallets', `inspector-${outcome.runId}`)),
      SCRATCH_PASSWORD,
      SCRATCH_SCRYPT,
    );
    await stack.workflows.execute.registerIdentity(
      authorize(stack.operator, 'registerIdentity', {
        name: `Inspector (${outcome.runId})`,
        role: Role.Regulator,
        identity: inspector.identity,
      }),
    );
    const item = (await fetchInbox(stack.apiUrl, alice)).find((m) => m.kind === 'record');
    assert.ok(item?.kind === 'record', "the record is in Alice's inbox");
    const granteeKey = await inspector.newGranteeKey();
    regulatorRead = await stack.workflows.execute
      .grantAccess({
        recordId: item.recordId as `0x${string}`,
        cid: item.cid,
        patient: alice.identity.address,
        prekeyIndex: item.prekeyIndex,
        grantee: inspector.identity.address,
        granteeKey: granteeKey.publicKey,
        rk: await alice.rekey(item.prekeyIndex, granteeKey.publicKey),
      })
      .then(async () => {
        const grant = (await fetchInbox(stack.apiUrl, inspector)).find((m) => m.kind === 'grant');
        assert.ok(grant, "the grant is in the inspector's inbox");
        const key = await inspector.recordKey(grant);
        return (
          await openRecord(
            { ...stack, contracts: stack.engine.contracts, store: stack.engine.store },
            key.location,
            key.key,
          )
        ).record;
      })
      .catch((error: unknown) => `refused: ${String(error)}`);
    // a message queued under a codec key this engine does not hold: the dispatcher dead-letters it
    const foreign = await openIntakeQueue({ redisUrl: redis.url, keys: newKeyring('k9'), taskQueue: stack.taskQueue });
    await foreign.enqueue(entryOf(hl7Work(`AUDIT-POISON-${outcome.runId}`)));
    await foreign.close();
    const dispatcher = startDispatcher({
      redisUrl: redis.url,
      keys: CodecKeyring.parse(stack.codecKeys),
      client: stack.client,
      taskQueue: stack.taskQueue,
    });
    const admin = await openIntakeAdmin({ redisUrl: redis.url, keys: newKeyring(), taskQueue: stack.taskQueue });
    await waitFor('the dead letter', async () => ((await admin.stats()).dead === 1 ? true : undefined));
    await admin.close();
    await dispatcher.close();
    // every workflow of the period is closed now; neither replay nor report needs a worker
    await stack.stopWorkers();
    storyDone = new Date();

    Object.assign(tokens, await storyCredentials(stack, outcome));
    const server = createServer(
      createHttpApp({
        health: {},
        routes: {
          '/v1/audit/report': auditReportRoutes({
            state: stack.engine.state,
            report: (period) =>
              auditReport(
                {
                  chain: stack.chain,
                  contracts: stack.engine.contracts,
                  client: stack.client,
                  intake: { redisUrl: redis.url, taskQueue: stack.taskQueue },
                },
                period,
              ),
          }),
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/v1/audit/report`, server };
    env = { ...workerEnv(stack), YILIAN_REDIS_MODE: 'external', YILIAN_REDIS_URL: redis.url };
    // an auditor holds the payload keys, not the codec endpoint's token
    delete env.YILIAN_CODEC_TOKEN;
  });
  after(async () => {
    await new Promise<void>((resolve) => api.server.close(() => resolve()));
    await stack.stop();
    await Promise.all([fhir.stop(), redis.stop()]);
  });

  /** The closed runs Temporal lists, as `workflowId/runId` by type. */
  async function closedRuns(): Promise<Map<string, string[]>> {
    const runs = new Map<string, string[]>();
    for await (const run of stack.client.workflow.list({ query: `ExecutionStatus != 'Running'` }))
      runs.set(run.type, [...(runs.get(run.type) ?? []), `${run.workflowId}/${run.runId}`]);
    return runs;
  }

  test('a regulator is a grantee: granted a record by its patient, opens it', async () => {
    assert.equal(regulatorRead, await storyHl7());
  });

  test('replay --all replays every closed workflow on the current code and exits 0', async () => {
    const runs = await closedRuns();
    const total = [...runs.values()].reduce((sum, ids) => sum + ids.length, 0);
    const started = Date.now();
    const run = await yilian('audit', 'replay', '--all', '--json');
    const seconds = (Date.now() - started) / 1000;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'no progress line when stderr is not a terminal');
    assert.deepEqual(JSON.parse(run.stdout), { replayed: total, deterministic: total, failed: [] });
    assert.ok(total >= 18, `${total} closed workflows`);
    for (const type of ['registerIdentity', 'enrolPatient', 'anchorRecord', 'grantAccess', 'traceStep'])
      assert.ok(runs.has(type), `the story closed a ${type}`);
    console.log(`# replay --all: ${total} workflows in ${seconds.toFixed(1)} s (one process, start-up included)`);
  });

  test('replay --all on workflow code with grantAccess changed fails exactly the grantAccess runs, naming each', async () => {
    const grants = (await closedRuns()).get('grantAccess') ?? [];
    assert.ok(grants.length >= 3, 'the story granted twice (once refused) and the regulator once');
    const altered = join(repoRoot, 'test/workflows/altered-grant-access.ts');
    const [all, onlyGrants, sinceTheStory] = await Promise.all([
      yilian('audit', 'replay', '--all', '--workflows', altered),
      yilian('audit', 'replay', '--all', '--type', 'grantAccess', '--workflows', altered, '--json'),
      yilian('audit', 'replay', '--all', '--since', storyDone.toISOString(), '--workflows', altered, '--json'),
    ]);
    assert.equal(all.code, 1, all.stderr);
    const failed = all.stdout.split('\n').filter((line) => line.startsWith('failed: '));
    assert.deepEqual(
      failed.map((line) => /^failed: (\S+) \((\w+), run (\S+)\): nondeterminism: /.exec(line)?.slice(1)).sort(),
      grants.map((id) => [id.split('/')[0], 'grantAccess', id.split('/')[1]]).sort(),
      all.stdout,
    );
    assert.match(
      all.stdout,
      new RegExp(
        `^replayed \\d+ closed workflows on the workflow code in ${escape(altered)}: \\d+ deterministic, ${grants.length} failed\\n`,
      ),
    );

    assert.equal(onlyGrants.code, 1);
    const summary = JSON.parse(onlyGrants.stdout) as {
      replayed: number;
      deterministic: number;
      failed: Array<{ type: string }>;
    };
    assert.deepEqual(
      { ...summary, failed: summary.failed.map((f) => f.type) },
      { replayed: grants.length, deterministic: 0, failed: grants.map(() => 'grantAccess') },
    );
    // nothing closed after the story: nothing to replay, nothing failed
    assert.equal(sinceTheStory.code, 0, sinceTheStory.stderr);
    assert.deepEqual(JSON.parse(sinceTheStory.stdout), { replayed: 0, deterministic: 0, failed: [] });
  });

  test('on a terminal, replay --all shows its progress on stderr', async () => {
    // script(1) runs the command on a pseudo-terminal: stdout and stderr both reach it, newlines as CRLF
    const run = await new Promise<Run>((resolve) => {
      const child = spawn(
        'script',
        ['-qec', `${process.execPath} ops/bin/yilian.mjs audit replay --all --type enrolPatient`, '/dev/null'],
        { cwd: repoRoot, env: { ...withoutYilian(process.env), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let [stdout, stderr] = ['', ''];
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^\rreplaying 1\/1\r\nreplayed 1 closed workflows of type enrolPatient on this checkout's workflow code: 1 deterministic, 0 failed\r\n$/,
    );
  });

  test('replay --all refuses bad input with a clear message', async () => {
    const [type, since, both, code] = await Promise.all([
      yilian('audit', 'replay', '--all', '--type', 'grantAcess'),
      yilian('audit', 'replay', '--all', '--since', 'yesterday'),
      yilian('audit', 'replay', 'identity:local:x', '--all'),
      yilian('audit', 'replay', '--all', '--workflows', 'no/such/workflows.ts'),
    ]);
    assert.equal(type.code, 2);
    assert.match(
      type.stderr,
      /^yilian: --type must be one of the engine's workflows \(anchorRecord, .*grantAccess.*traceStep\), not "grantAcess"\n$/,
    );
    assert.equal(since.code, 2);
    assert.match(since.stderr, /^yilian: --since must be an ISO-8601 date or time with its zone .* not "yesterday"\n$/);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^yilian: give either a workflow id \(and --run-id\) or --all, not both\n$/);
    assert.equal(code.code, 2);
    assert.equal(
      code.stderr,
      `yilian: --workflows must name a file of workflow code; there is none at ${join(repoRoot, 'no/such/workflows.ts')}\n`,
    );
  });

  describe('the report', () => {
    let json: AuditReport;
    let bundle: { resourceType: string; entry: Array<{ resource: Record<string, unknown> }> };
    let needles: Needle[];
    let output: { json: string; fhir: string };

    before(async () => {
      const period = ['--from', started.toISOString(), '--to', storyDone.toISOString()];
      const begun = Date.now();
      const [asJson, asFhir] = await Promise.all([
        yilian('audit', 'report', ...period),
        yilian('audit', 'report', ...period, '--format', 'fhir'),
      ]);
      console.log(`# audit report, json and fhir side by side: ${((Date.now() - begun) / 1000).toFixed(1)} s`);
      assert.equal(asJson.code, 0, asJson.stderr);
      assert.equal(asFhir.code, 0, asFhir.stderr);
      output = { json: asJson.stdout, fhir: asFhir.stdout };
      json = auditReportSchema.parse(JSON.parse(asJson.stdout));
      bundle = JSON.parse(asFhir.stdout) as typeof bundle;

      const alice = outcome.people.alice;
      const aliceKeys = await loadKeystore(
        join(stack.home, 'wallets', `alice-${outcome.runId}`),
        hexToBytes(alice.identity.address),
        SCRATCH_PASSWORD,
      );
      needles = [
        ...storySecrets(outcome),
        { label: "the dead letter's patient", bytes: utf8ToBytes(PATIENT_NAME) },
        { label: "the dead letter's patient identifier", bytes: utf8ToBytes(PATIENT_ID) },
        { label: "the patient's account", bytes: hexToBytes(alice.identity.address) },
        { label: "the patient's account (text)", bytes: utf8ToBytes(alice.identity.address.toLowerCase()) },
        { label: "the patient's name", bytes: utf8ToBytes(`Alice (${outcome.runId})`) },
        { label: 'the content address', bytes: utf8ToBytes(outcome.cid) },
        { label: "the patient's signing key", bytes: aliceKeys.signingKey },
        ...aliceKeys.prekeys.map((k) => ({ label: `prekey secret ${k.id}`, bytes: k.secretKey })),
        ...(await engineSecrets(stack, outcome)),
      ];
    });

    test('counts what was anchored, granted, traced, registered and refused, with authors from the Directory', () => {
      const run = outcome.runId;
      assert.deepEqual(json.counts, {
        anchored: 1,
        granted: 2,
        traced: 12,
        tracedTransactions: 3,
        registered: 11,
        revoked: 0,
        refused: 2,
      });
      assert.deepEqual(
        json.anchored.map((a) => ({ recordId: a.recordId, author: a.author })),
        [
          {
            recordId: outcome.record.recordId,
            author: { account: outcome.record.author.address.toLowerCase(), role: 'Doctor', name: `Dr. Bob (${run})` },
          },
        ],
      );
      assert.deepEqual(
        json.traced.map((push) => [push.sender.name, push.sender.role, push.steps.length]),
        [
          [`Manufacturer (${run})`, 'Manufacturer', 4],
          [`Carrier (${run})`, 'Carrier', 4],
          [`Pharmacy (${run})`, 'Pharmacy', 4],
        ],
      );
      assert.deepEqual(
        json.traced[2]?.steps.map((s) => s.traceId),
        outcome.traceIds,
      );
      // the forged grant to Charlie, refused by the engine's re-encryption key check; the poisoned message
      assert.deepEqual(
        json.refused.map((r) => [r.workflowType, r.category]),
        [
          ['grantAccess', 'BadRekey'],
          ['anchorRecord', 'IntakeDeadLetter'],
        ],
      );
      assert.deepEqual(json.refusedByType, { grantAccess: { BadRekey: 1 }, anchorRecord: { IntakeDeadLetter: 1 } });
      assert.deepEqual(json.intake, { reachable: true, truncated: false });
      // a patient is counted, never named
      const patient = json.identities.filter((i) => i.role === 'Patient');
      assert.deepEqual(
        patient.map((i) => Object.keys(i).sort()),
        [['block', 'event', 'role', 'time', 'transaction']],
      );
      assert.ok(json.identities.some((i) => i.name === `Inspector (${run})` && i.role === 'Regulator'));
      const within = (time: string) =>
        new Date(time) >= started && new Date(time) <= storyDone ? undefined : `${time} outside the period`;
      for (const entry of [...json.anchored, ...json.granted, ...json.traced, ...json.identities, ...json.refused])
        assert.equal(within(entry.time), undefined);
    });

    test('holds no PHI, no patient identity, no trace code and no key, as JSON or FHIR', () => {
      assert.ok(needles.length >= 20, `${needles.length} needles`);
      const haystacks = [
        { place: 'the JSON report', bytes: Buffer.from(output.json) },
        { place: 'the FHIR report', bytes: Buffer.from(output.fhir) },
      ];
      assert.deepEqual(findNeedles(haystacks, needles), []);
      // the scan can find what is there
      assert.deepEqual(
        findNeedles(haystacks, [{ label: 'the record id', bytes: utf8ToBytes(outcome.record.recordId) }]),
        ['the record id in the JSON report', 'the record id in the FHIR report'],
      );
    });

    test('an earlier period has nothing in it; an intake queue that does not answer is said so', async () => {
      const nobody = `redis://127.0.0.1:${String(await freePort())}`;
      const run = await yilianWith(
        { YILIAN_REDIS_URL: nobody },
        'audit',
        'report',
        '--from',
        new Date(started.getTime() - 7_200_000).toISOString(),
        '--to',
        new Date(started.getTime() - 3_600_000).toISOString(),
      );
      assert.equal(run.code, 0, run.stderr);
      const empty = auditReportSchema.parse(JSON.parse(run.stdout));
      assert.deepEqual(Object.values(empty.counts), [0, 0, 0, 0, 0, 0, 0]);
      assert.equal(empty.blocks, null);
      assert.deepEqual(empty.intake, { reachable: false, truncated: false });
    });

    test('a period of more blocks than a report reads is refused before any is read', async () => {
      await assert.rejects(
        scanChain(stack.chain, stack.engine.contracts, { from: started, to: storyDone }, { maxBlocks: 2 }),
        (error: Error) => {
          assert.ok(error instanceof PeriodError);
          assert.match(
            error.message,
            /^the period spans \d+ blocks \(\d+–\d+\); a report reads at most 2: split the period$/,
          );
          return true;
        },
      );
    });

    test('the FHIR Bundle passes HAPI FHIR R4 validation, and a broken one does not', async () => {
      assert.equal(bundle.resourceType, 'Bundle');
      const types = bundle.entry.map((e) => e.resource.resourceType);
      assert.equal(types.filter((t) => t === 'Provenance').length, 1);
      assert.equal(
        types.filter((t) => t === 'AuditEvent').length,
        json.counts.anchored +
          json.counts.granted +
          json.counts.tracedTransactions +
          json.counts.registered +
          json.counts.refused,
      );
      const validate = async (body: unknown) => {
        const response = await fetch(`${fhir.url}/Bundle/$validate`, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json' },
          body: JSON.stringify(body),
        });
        const outcome = (await response.json()) as {
          issue?: Array<{ severity: string; diagnostics?: string; expression?: string[] }>;
        };
        return (outcome.issue ?? [])
          .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
          .map((issue) => `${issue.expression?.join(', ') ?? ''}: ${issue.diagnostics ?? ''}`);
      };
      const begun = Date.now();
      assert.deepEqual(await validate(bundle), []);
      console.log(`# $validate of ${bundle.entry.length} resources: ${Date.now() - begun} ms`);
      const broken = structuredClone(bundle);
      const first = broken.entry.find((e) => e.resource.resourceType === 'AuditEvent')?.resource;
      assert.ok(first);
      delete first.source;
      const errors = await validate(broken);
      assert.ok(
        errors.some((e) => e.includes('AuditEvent.source: minimum required = 1')),
        errors.join('\n'),
      );
    });

    test('refuses bad input with a clear message', async () => {
      const [from, order, format] = await Promise.all([
        yilian('audit', 'report', '--from', 'last tuesday'),
        yilian('audit', 'report', '--from', '2026-12-02T10:00:00Z', '--to', '2026-12-01'),
        yilian('audit', 'report', '--from', '24h', '--format', 'xml'),
      ]);
      assert.deepEqual(
        [from, order, format].map((r) => [r.code, r.stderr]),
        [
          [
            2,
            'yilian: --from must be an ISO-8601 date or time with its zone (2026-12-01, 2026-12-01T08:00:00Z) or a duration ago (90s, 30m, 24h, 7d), not "last tuesday"\n',
          ],
          [2, 'yilian: --from (2026-12-02T10:00:00.000Z) is after --to (2026-12-01T00:00:00.000Z)\n'],
          [2, 'yilian: --format must be json or fhir, not "xml"\n'],
        ],
      );
    });

    test('GET /v1/audit/report answers a regulator, and only a regulator', async () => {
      const get = async (query: string, token?: string) => {
        const response = await fetch(`${api.url}?${query}`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        return {
          status: response.status,
          type: response.headers.get('content-type'),
          body: (await response.json()) as Record<string, unknown>,
        };
      };
      const period = `from=${started.toISOString()}&to=${storyDone.toISOString()}`;
      const [anonymous, manufacturer, badTime, unknown, tooLong, report, fhirReport] = await Promise.all([
        get(period),
        get(period, tokens.manufacturer),
        get('from=yesterday', tokens.regulator),
        get(`${period}&patient=1`, tokens.regulator),
        get('from=2020-01-01&to=2026-01-01', tokens.regulator),
        get(period, tokens.regulator),
        get(`${period}&format=fhir`, tokens.regulator),
      ]);
      assert.deepEqual(
        [anonymous.status, anonymous.body.error],
        [401, 'an Authorization: Bearer <token> header is required'],
      );
      assert.deepEqual(
        [manufacturer.status, manufacturer.body.error],
        [403, `Manufacturer (${outcome.runId}) is a Manufacturer: the audit report is for regulators`],
      );
      assert.equal(badTime.status, 400);
      assert.match(String(badTime.body.error), /^from must be an ISO-8601 date or time with its zone/);
      assert.equal(unknown.status, 400);
      assert.match(String(unknown.body.error), /^bad query: .*patient/);
      assert.deepEqual(
        [tooLong.status, tooLong.body.error],
        [400, 'a report covers at most 366 days; split the period'],
      );
      assert.equal(report.status, 200);
      assert.deepEqual(auditReportSchema.parse(report.body).counts, json.counts);
      assert.equal(fhirReport.status, 200);
      assert.equal(fhirReport.type, 'application/fhir+json; charset=utf-8');
      assert.equal((fhirReport.body as { entry: unknown[] }).entry.length, bundle.entry.length);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
