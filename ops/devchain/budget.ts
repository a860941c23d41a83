import { setImmediate as turnOfTheEventLoop } from 'node:timers/promises';
import type { EVM, EVMOpts } from '@ethereumjs/evm';

/** How long the EVM may hold the event loop before the node answers other requests. */
const SLICE_MS = 5;
const JUMPDEST = 0x5b;

/** An execution ran past its wall-time budget: it is aborted, its changes dropped. */
export class ExecutionTimeout extends Error {
  constructor(readonly budgetMs: number) {
    super(`execution stopped after ${budgetMs} ms, the time budget of the dev chain`);
    this.name = 'ExecutionTimeout';
  }
}

/**
 * A wall-time bound on one EVM execution that also keeps the node answering while it runs. The
 * EVM checks in at every JUMPDEST (every loop passes one) and at the start of every call frame
 * (every recursion starts one), so straight-line code between check-ins is at most one contract
 * long. A check-in past the deadline throws `ExecutionTimeout`, which unwinds the whole
 * execution (the caller drops its state changes); one after SLICE_MS of running lets the event
 * loop turn first. The gas cap still applies: this bounds what gas does not, time, on an EVM
 * that runs in the node's only thread.
 */
export class ExecutionBudget {
  private deadline = Number.POSITIVE_INFINITY;
  private sliceStart = 0;
  private budgetMs = 0;

  /** Opcodes to give the EVM at creation, with `watch` for the call frames. */
  readonly customOpcodes: NonNullable<EVMOpts['customOpcodes']> = [
    {
      opcode: JUMPDEST,
      opcodeName: 'JUMPDEST',
      baseFee: 1,
      logicFunction: () => this.checkIn(),
    },
  ];

  watch(evm: EVM): void {
    // a two-argument listener is awaited by the EVM; a synchronous throw rejects that wait
    evm.events.on('beforeMessage', (_message, resolve) => {
      const pause = this.checkIn();
      if (pause) void pause.then(() => resolve?.());
      else resolve?.();
    });
  }

  start(budgetMs: number): void {
    this.budgetMs = budgetMs;
    this.sliceStart = performance.now();
    this.deadline = this.sliceStart + budgetMs;
  }

  /**
   * Throws past the deadline; after a slice, a promise of the next turn of the event loop.
   * Nothing in between: this runs at every JUMPDEST, and most of them must cost no more than one.
   */
  private checkIn(): Promise<void> | undefined {
    const now = performance.now();
    if (now > this.deadline) throw new ExecutionTimeout(this.budgetMs);
    if (now - this.sliceStart < SLICE_MS) return undefined;
    return turnOfTheEventLoop().then(() => {
      this.sliceStart = performance.now();
    });
  }
}
