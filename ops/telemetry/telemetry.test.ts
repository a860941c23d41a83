import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { WorkflowInfo } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Engine } from '../../activities/engine.js';
import type { ContentStore } from '../../core/storage/index.js';
import { createIdentityActivities } from '../../activities/identities/index.js';
import { createInboxActivities } from '../../activities/inbox/index.js';
import { createPatientActivities } from '../../activities/patients/index.js';
import { createRecordActivities, createRecordNativeActivities } from '../../activities/records/index.js';
import { createTraceActivities, createTraceNativeActivities } from '../../activities/trace/index.js';
import { historyFromJSON } from '../audit/replay.js';
import { workflowInterceptorModules, workflowsPath } from '../workers/orchestration.js';
import { consoleLine, createLogger, temporalLogger, CENSOR } from './log.js';
import { LABEL_VALUES, registry } from './metrics.js';
import { CHAIN_FUNCTIONS, MeteredFiscoClient, runSinks, WORKFLOW_TYPES } from './instruments.js';
import { countedHl7Handler, countFhirPull, countMllpEvent } from './intake.js';
import { httpReason } from './metrics.js';
import { timedRoutes } from './http.js';
import { createHttpApp } from '../../connectors/http/app.js';

// what must never reach a log or a label: a bearer token, a codec key, an HL7 body with a name in it
const TOKEN = 'yk_0123456789.super-secret-credential';
const CODEC_KEY = 'k1:q83vEjRWeJC7zN8BI0VniZq83vEjRWeJC7zN8BI0Vng=';
const HL7 = 'MSH|^~\\&|LAB|HOSP|||20261202||ORU^R01|1|P|2.5\rPID|||123^^^MRN||Huckleberry^Finn';
const TRACE_CODE = 'YL-TRACE-7F3K-99QX-PLANTED';

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return {
    lines,
    log: createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } }),
  };
}

test('secrets and message bodies are redacted from log events, at whatever depth, whatever their case', () => {
  const { lines, log } = capture();
  log.warn({ headers: { authorization: `Bearer ${TOKEN}` }, codecKeys: CODEC_KEY, body: HL7 }, 'a request');
  log.error({ request: { headers: { authorization: `Bearer ${TOKEN}`, cookie: `s=${TOKEN}` } } }, 'nested');
  log.info({ job: { payload: HL7, traceCode: TRACE_CODE }, workflowId: 'hl7:HOSP:1' }, 'a job');
  log.info({ config: { codec: { keys: CODEC_KEY, token: TOKEN } } }, 'a configuration');
  log.child({ component: 'api' }).info({ Authorization: TOKEN, a: { b: { c: [{ Body: HL7 }] } } }, 'deep');
  const text = lines.join('');
  for (const secret of [TOKEN, CODEC_KEY, 'Huckleberry', 'MSH|', TRACE_CODE])
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const [request, , job] = events as [Record<string, unknown>, unknown, Record<string, unknown>];
  assert.deepEqual(request.headers, { authorization: CENSOR });
  assert.equal(request.body, CENSOR);
  assert.equal(job.workflowId, 'hl7:HOSP:1', 'correlation ids stay');
  assert.deepEqual(
    events.map((event) => [event.level, event.msg]),
    [
      ['warn', 'a request'],
      ['error', 'nested'],
      ['info', 'a job'],
      ['info', 'a configuration'],
      ['info', 'deep'],
    ],
  );
});

test("the Temporal SDK's log calls become JSON events with their workflow id, redacted like any other", () => {
  const { lines, log } = capture();
  const temporal = temporalLogger(log);
  temporal.warn('Activity failed', { workflowId: 'grant:ab', activityType: 'checkRekey', token: TOKEN });
  temporal.log('ERROR', 'Workflow failed', { workflowId: 'grant:ab', error: new Error('bad rekey') });
  const [warned, failed] = lines.map((line) => JSON.parse(line) as Record<string, unknown>) as [
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  assert.equal(warned.workflowId, 'grant:ab');
  assert.equal(warned.token, CENSOR);
  assert.equal(failed.level, 'error');
  assert.equal((failed.err as { message?: string }).message, 'bad rekey');
  assert.equal(
    consoleLine(lines[1] ?? ''),
    'Workflow failed (bad rekey) workflowId=grant:ab\n',
    'the console shows the correlation id and the error',
  );
  assert.equal(consoleLine('{"level":"info","component":"api","msg":"ok http://x"}'), 'api       ok http://x\n');
});

test('replaying a history counts no run: the run sinks are not called on replay', async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const count = async () =>
    (
      (await registry.getSingleMetricAsString('yilian_workflows_started_total')).match(
        /^yilian_workflows_started_total\{/gm,
      ) ?? []
    ).length;
  const before = await count();
  const history = historyFromJSON(
    JSON.parse(await readFile(new URL('../../test/histories/grantAccess.json', import.meta.url), 'utf8')),
  );
  await Worker.runReplayHistory(
    { workflowsPath, interceptors: { workflowModules: workflowInterceptorModules }, sinks: runSinks },
    history,
    'grantAccess',
  );
  assert.equal(await count(), before);
});

test('label hygiene: whatever comes in, every label value is one its label declares', async () => {
  // a door answering with codes and statuses no enum knows, a workflow type that is not the engine's
  await countedHl7Handler(() => Promise.resolve({ status: 'error', hl7ErrorCode: 999, reason: HL7 }))({} as never);
  await countedHl7Handler(() => Promise.resolve({ status: 'accept', hl7ErrorCode: 0 }))({} as never);
  countMllpEvent({
    type: 'protocol-error',
    connection: 1,
    remoteAddress: '10.0.0.1',
    problem: 'oversize',
    status: 'reject',
  });
  countFhirPull({ queued: 2, duplicates: 1, deleted: 0, unanchorable: 1, conflicts: 1 } as never);
  assert.equal(httpReason(418), 'other');
  void runSinks.runs.started.fn({ workflowType: 'Huckleberry Finn' } as WorkflowInfo);
  void runSinks.runs.closed.fn({ workflowType: 'anchorRecord' } as WorkflowInfo, 'exploded' as never);
  // a transaction to no known contract, on a node that is not there
  const chain = new MeteredFiscoClient({ rpcUrl: 'http://127.0.0.1:9', chainId: 'chain0', groupId: 'group0' });
  await assert.rejects(chain.send({ to: 'ab'.repeat(20), input: Uint8Array.of(1, 2, 3, 4) }, new Uint8Array(32)));

  // a request under a mounted router: the route is the mount path, not the request's own path
  const app = createHttpApp({ health: {}, routes: timedRoutes({ '/inbox': express.Router() }), log: () => {} });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await fetch(`http://127.0.0.1:${port}/inbox/0x${'ab'.repeat(20)}?after=${TRACE_CODE}`, { method: 'PROPFIND' });
  server.close();

  const stub = {} as Engine;
  const nativeDeps = { store: {} as ContentStore, keyring: stub.keyring };
  const activities = Object.keys({
    ...createIdentityActivities(stub),
    ...createPatientActivities(stub),
    ...createRecordActivities(stub),
    ...createInboxActivities(stub),
    ...createTraceActivities(stub),
    ...createRecordNativeActivities(nativeDeps),
    ...createTraceNativeActivities(nativeDeps),
  });
  const allowed: Record<string, readonly string[]> = {
    ...LABEL_VALUES,
    activity: activities,
    workflow_type: WORKFLOW_TYPES,
    function: CHAIN_FUNCTIONS,
    route: ['/inbox'],
  };
  const seen = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    if (!metric.name.startsWith('yilian_') || /^yilian_(process|nodejs)_/.test(metric.name)) continue;
    for (const { labels } of metric.values)
      for (const [label, value] of Object.entries(labels)) {
        if (label === 'le') continue;
        const values = allowed[label];
        assert.ok(values, `${metric.name}: label ${label} has no declared values`);
        assert.ok(
          value === 'other' || values.includes(String(value)),
          `${metric.name}{${label}="${String(value)}"} is outside its enum`,
        );
        seen.add(`${label}=${String(value)}`);
      }
  }
  for (const expected of [
    'reason=other',
    'reason=mllp_oversize',
    'reason=fhir_no_patient',
    'workflow_type=other',
    'outcome=other',
    'contract=other',
    'code=UNAVAILABLE',
    'route=/inbox',
    'method=other',
    'status=4xx',
  ])
    assert.ok(seen.has(expected), `${expected} recorded: ${[...seen].join(' ')}`);
});
