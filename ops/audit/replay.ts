import { createRequire } from 'node:module';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type * as protoModule from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { Config } from '../config/index.js';
import { codecKeyringFromConfig } from '../codec/from-config.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { workflowInterceptorModules, workflowsPath as engineWorkflowsPath } from '../workers/orchestration.js';

export type History = temporal.api.history.v1.IHistory;

export interface ReplayedWorkflow {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Events in the replayed history (a running workflow's history so far). */
  events: number;
}

/** The workflow code does not reproduce a history it wrote: a change that breaks running or replayed workflows. */
export class NondeterminismError extends Error {
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly workflowType: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `workflow ${workflowId} (${workflowType}, run ${runId}) does not replay on the current workflow code: ${reason}`,
      options,
    );
    this.name = 'NondeterminismError';
  }
}

/**
 * Replays a live workflow's history (running or closed) against the workflow code of this
 * checkout, as a worker would after a deploy: fetches it with the payload codec of the config,
 * replays it in a replay worker, and throws a {@link NondeterminismError} naming the workflow and
 * the mismatch when the code no longer makes the same commands.
 */
export async function replayWorkflow(options: {
  config: Config;
  workflowId: string;
  runId?: string;
  /** Tests only: other workflow code. */ workflowsPath?: string;
}): Promise<ReplayedWorkflow> {
  const { config, workflowId } = options;
  const dataConverter = await replayDataConverter(config);
  const connection = await Connection.connect({
    address: config.temporal.address,
    tls: config.temporal.tls,
    apiKey: config.temporal.apiKey,
  });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
    const handle = client.workflow.getHandle(workflowId, options.runId);
    const described = await handle.describe().catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) {
        throw new Error(
          `no workflow ${workflowId}${options.runId ? ` run ${options.runId}` : ''} in namespace ${config.temporal.namespace} at ${config.temporal.address}`,
          { cause: error },
        );
      }
      throw error;
    });
    const history = await handle.fetchHistory();
    const replayed = {
      workflowId,
      runId: described.runId,
      workflowType: described.type,
      events: history.events?.length ?? 0,
    };
    await replayHistory(history, { workflowId, dataConverter, workflowsPath: options.workflowsPath }).catch(
      (error: unknown) => {
        throw asNondeterminism(error, replayed);
      },
    );
    return replayed;
  } finally {
    await connection.close();
  }
}

/** The payload codec of the config's keys: replaying opens histories, and needs no codec endpoint token. */
export async function replayDataConverter(config: Config): Promise<DataConverter> {
  return { payloadCodecs: [new EncryptionCodec(await codecKeyringFromConfig(config))] };
}

/** Installs a runtime whose logs stay quiet below ERROR: a replay worker's own lines would only repeat the verdict printed. */
export function quietReplayRuntime(): void {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

/** One history through a replay worker of the engine's workflows; rejects with the SDK's DeterminismViolationError or ReplayError. */
export function replayHistory(
  history: History,
  options: { workflowId: string; dataConverter?: DataConverter; workflowsPath?: string | undefined },
): Promise<void> {
  return Worker.runReplayHistory(
    {
      workflowsPath: options.workflowsPath ?? engineWorkflowsPath,
      interceptors: { workflowModules: workflowInterceptorModules },
      replayName: 'yilian-audit',
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    },
    history,
    options.workflowId,
  );
}

function asNondeterminism(error: unknown, replayed: ReplayedWorkflow): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const kind = error instanceof DeterminismViolationError ? 'nondeterminism' : error.name;
  return new NondeterminismError(
    replayed.workflowId,
    replayed.runId,
    replayed.workflowType,
    `${kind}: ${error.message}`,
    { cause: error },
  );
}

/*
 * History JSON: the proto3 JSON of temporal.api.history.v1.History that `temporal workflow show
 * --output json` writes and `Worker.runReplayHistory` reads. The SDK's own historyToJSON /
 * historyFromJSON (@temporalio/common/lib/proto-utils) fail here with "type must be a Type":
 * @temporalio/common and @temporalio/proto each get their own nested copy of protobufjs 8 (the
 * hoisted one is grpc's protobufjs 7), so common's protojson rejects proto's reflection types.
 * These use the protojson of the very protobufjs copy @temporalio/proto is built on.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
const require = createRequire(import.meta.url);
const protoJson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
// the CommonJS module itself: an ESM namespace of it is not a protobufjs root
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot: (root: unknown) => { lookupType(name: string): unknown };
};
const protos = require('@temporalio/proto') as typeof protoModule;
const historyType = patchProtobufRoot(protos).lookupType('temporal.api.history.v1.History');

/** A history as the JSON object of Temporal's history files. */
export function historyToJSON(history: History): unknown {
  return protoJson.toJson(historyType, protos.temporal.api.history.v1.History.fromObject(history));
}

/** A history file's JSON (as parsed) as the History the SDK replays. */
export function historyFromJSON(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a Temporal history: expected an object with an array of events');
  }
  return protoJson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
