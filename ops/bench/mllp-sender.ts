/**
 * The HIS side of bench:intake, a process of its own as a hospital's interface engine is (run as
 * `node --import tsx ops/bench/mllp-sender.ts '<SenderJob JSON>'`, the result as JSON on stdout): `connections` MLLP senders, each either waiting for every ACK before the
 * next message (`depth` 1, how HIS interfaces send) or keeping `depth` messages in flight; with
 * `rate`, paced to that many messages a second over all connections (a feed's steady arrival).
 */
import { Client as MllpClient } from '../../connectors/mllp/test-helpers.js';
import { syntheticOru } from './bench-patients.js';

export interface SenderJob {
  port: number;
  connections: number;
  depth: number;
  seconds: number;
  /** Messages a second over all connections at most; as fast as ACKs come when unset. */
  rate?: number;
  /** Control ids are `<prefix>-<connection>-<n>`. */
  prefix: string;
  /** Message n is for patient n mod their number. */
  patients: string[];
}

export interface SenderResult {
  /** ACK latencies of accepted messages, milliseconds, sorted. */
  latencies: number[];
  refused: number;
  seconds: number;
  /** Wall-clock time (ms since the epoch) each accepted message was acknowledged, by control id. */
  acknowledgedAt: Record<string, number>;
}

async function send(job: SenderJob): Promise<SenderResult> {
  const latencies: number[] = [];
  const acknowledgedAt: Record<string, number> = {};
  let refused = 0;
  const started = performance.now();
  const deadline = started + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.connections }, async (_, c) => {
      const client = await MllpClient.connect(job.port);
      const sent: Array<{ at: number; controlId: string }> = [];
      let n = 0;
      const write = async () => {
        // message n of connection c is due at (n · connections + c) / rate seconds
        const due = job.rate ? started + ((n * job.connections + c) * 1000) / job.rate : 0;
        if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
        const controlId = `${job.prefix}-${c}-${n}`;
        sent.push({ at: performance.now(), controlId });
        client.write(
          `\x0b${syntheticOru(controlId, job.patients[(n * job.connections + c) % job.patients.length] ?? '', n)}\x1c\r`,
        );
        n++;
      };
      for (let i = 0; i < job.depth; i++) await write();
      for (let answered = 0; answered < sent.length; answered++) {
        const msa = (await client.nextAck()).split('\r')[1]?.split('|')[1];
        const message = sent[answered];
        if (msa === 'AA' && message) {
          latencies.push(performance.now() - message.at);
          acknowledgedAt[message.controlId] = Date.now();
        } else refused++;
        if (performance.now() < deadline) await write();
      }
      client.close();
    }),
  );
  return {
    latencies: latencies.sort((a, b) => a - b),
    refused,
    seconds: (performance.now() - started) / 1000,
    acknowledgedAt,
  };
}

console.log(JSON.stringify(await send(JSON.parse(process.argv[2] ?? '{}') as SenderJob)));
