import { toFunctionSelector, type Abi, type AbiFunction } from 'viem';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { LedgerError } from '../../core/ledger/errors.js';
import type { ContentStore } from '../../core/storage/index.js';
import { Directory, DrugTrace, RecordRegistry } from '../../contracts/artifacts.js';
import type { CryptoStep, CryptoTimer } from '../../activities/crypto-timer.js';
import type { EngineSinks } from '../../workflows/interceptors.js';
import * as workflows from '../../workflows/index.js';
import {
  activitySeconds,
  bounded,
  chainSubmitErrors,
  chainSubmitSeconds,
  LABEL_VALUES,
  preSeconds,
  secondsSince,
  starkSeconds,
  storeSeconds,
  timed,
  workflowsClosed,
  workflowsStarted,
} from './metrics.js';

/** What the engine's workers, chain client and content store record; wired by ops/workers. */

const CRYPTO_STEPS: Readonly<Record<CryptoStep, [typeof starkSeconds, string]>> = {
  stark_prove: [starkSeconds, 'prove'],
  pre_encrypt: [preSeconds, 'encrypt'],
  pre_verify_rekey: [preSeconds, 'verify_rekey'],
  pre_reencrypt: [preSeconds, 'reencrypt'],
};

export const cryptoTimer: CryptoTimer = (step, work) => {
  const [histogram, operation] = CRYPTO_STEPS[step];
  return timed(histogram, { operation }, work);
};

/**
 * Times every activity execution (local ones included) under its registered name: `activities`
 * are the names this worker registered, so a name outside them cannot become a label.
 */
export function activityTimings(worker: 'orchestration' | 'native', activities: object): ActivityInterceptorsFactory {
  const names = Object.keys(activities);
  return (context) => ({
    inbound: {
      async execute(input, next) {
        const labels = { activity: bounded(names, context.info.activityType), worker };
        return timed(activitySeconds, labels, () => next(input));
      },
    },
  });
}

export const WORKFLOW_TYPES: readonly string[] = Object.keys(workflows);

/** The sinks workflows/interceptors.ts counts runs through; never called on replay. */
export const runSinks: InjectedSinks<EngineSinks> = {
  runs: {
    started: {
      fn(info) {
        workflowsStarted.inc({ workflow_type: bounded(WORKFLOW_TYPES, info.workflowType) });
      },
      callDuringReplay: false,
    },
    closed: {
      fn(info, outcome) {
        workflowsClosed.inc({
          workflow_type: bounded(WORKFLOW_TYPES, info.workflowType),
          outcome: bounded(LABEL_VALUES.outcome, outcome),
        });
      },
      callDuringReplay: false,
    },
  },
};

/** The engine's contracts' state-changing functions by selector: the only `function` labels of chain metrics. */
const writes = new Map<string, { contract: string; function: string }>(
  (
    [
      ['Directory', Directory.abi],
      ['RecordRegistry', RecordRegistry.abi],
      ['DrugTrace', DrugTrace.abi],
    ] as Array<[string, Abi]>
  ).flatMap(([contract, abi]) =>
    abi
      .filter((item): item is AbiFunction => item.type === 'function' && item.stateMutability === 'nonpayable')
      .map((item) => [toFunctionSelector(item).slice(2), { contract, function: item.name }] as const),
  ),
);
export const CHAIN_FUNCTIONS: readonly string[] = [...new Set([...writes.values()].map((w) => w.function)), 'deploy'];

const hex = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 4)).toString('hex');

/** A FISCO client that times each transaction from signing to receipt, and counts failures by ledger error code. */
export class MeteredFiscoClient extends FiscoClient {
  override async send(...args: Parameters<FiscoClient['send']>): ReturnType<FiscoClient['send']> {
    const [unsigned] = args;
    const target =
      unsigned.to === ''
        ? { contract: 'deploy', function: 'deploy' }
        : (writes.get(hex(unsigned.input)) ?? { contract: 'other', function: 'other' });
    const start = performance.now();
    try {
      const receipt = await super.send(...args);
      chainSubmitSeconds.observe({ ...target, outcome: 'success' }, secondsSince(start));
      return receipt;
    } catch (error) {
      chainSubmitSeconds.observe({ ...target, outcome: 'failure' }, secondsSince(start));
      const code = error instanceof LedgerError ? error.code : 'other';
      chainSubmitErrors.inc({ ...target, code: bounded(LABEL_VALUES.code, code) });
      throw error;
    }
  }
}

/** The store, with every operation timed by operation, backend and outcome. */
export function meteredStore(store: ContentStore): ContentStore {
  const backend = store.backend;
  const time = <T>(operation: string, work: () => Promise<T>) => timed(storeSeconds, { operation, backend }, work);
  return {
    backend,
    put: (source) => time('put', () => store.put(source)),
    get: (cid, signal) => time('get', () => store.get(cid, signal)),
    has: (cid) => time('has', () => store.has(cid)),
    rawBlock: (cid, signal) => time('raw_block', () => store.rawBlock(cid, signal)),
    async *stream(cid, signal) {
      const start = performance.now();
      let outcome = 'failure';
      try {
        yield* store.stream(cid, signal);
        outcome = 'success';
      } finally {
        storeSeconds.observe({ operation: 'stream', backend, outcome }, secondsSince(start));
      }
    },
    check: () => store.check(),
    close: () => store.close(),
  };
}
