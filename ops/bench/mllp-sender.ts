/**
 * The HIS side of bench:intake, a process of its own as a hospital's interface engine is (run as
 * `node --import tsx ops/bench/mllp-sender.ts '<SenderJob JSON>'`, the result as JSON on stdout): `connections` MLLP senders, each either waiting for every ACK before the
 * next message (`depth` 1, how HIS interfaces send) or keeping `depth` messages in flight.
 */
import { Client as MllpClient } from '../../connectors/mllp/test-helpers.js';
import { syntheticOru } from './bench-patients.js';

export interface SenderJob {
  port: number;
  connections: number;
  depth: number;
  seconds: number;
  /** Control ids are `<prefix>-<connection>-<n>`. */
  prefix: string;
  patient: string;
}

export interface SenderResult {
  /** ACK latencies of accepted messages, milliseconds, sorted. */
  latencies: number[];
  refused: number;
  seconds: number;
}

async function send(job: SenderJob): Promise<SenderResult> {
  const latencies: number[] = [];
  let refused = 0;
  const started = performance.now();
  const deadline = started + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.connections }, async (_, c) => {
      const client = await MllpClient.connect(job.port);
      const sentAt: number[] = [];
      let n = 0;
      const write = () => {
        sentAt.push(performance.now());
        client.write(`\x0b${syntheticOru(`${job.prefix}-${c}-${n}`, job.patient, n++)}\x1c\r`);
      };
      for (let i = 0; i < job.depth; i++) write();
      for (let answered = 0; answered < sentAt.length; answered++) {
        const msa = (await client.nextAck()).split('\r')[1]?.split('|')[1];
        if (msa === 'AA') latencies.push(performance.now() - (sentAt[answered] ?? 0));
        else refused++;
        if (performance.now() < deadline) write();
      }
      client.close();
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), refused, seconds: (performance.now() - started) / 1000 };
}

console.log(JSON.stringify(await send(JSON.parse(process.argv[2] ?? '{}') as SenderJob)));
