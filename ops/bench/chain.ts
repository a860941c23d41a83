/**
 * `npm run bench:chain`: committed transactions per second and latency through the FISCO client
 * against the dev chain (its own process, as `./ops/up` runs it), for RecordRegistry.create, its
 * createBatch of 1, 16, 64 and 256 records (with gas per record against create), and
 * DrugTrace.push with 1 and 100 items. Proofs are made before the clock starts: proving is the
 * prover's cost (bench:native), not the chain's.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toHex, zeroAddress, type Hex } from 'viem';
import { startScratchDevchain } from '../scratch/services.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { deployContract, writeContract } from '../../core/ledger/contract-calls.js';
import type { Receipt } from '../../core/ledger/receipt.js';
import {
  generateDek,
  generateIdentity,
  initPre,
  preDelegatorPublicKey,
  preEncrypt,
  preKeygenDelegator,
} from '../../core/crypto/index.js';
import { Directory, DrugTrace, RecordRegistry } from '../../contracts/artifacts.js';
import { Role, roleName } from '../../core/roles.js';
import * as native from '../../native/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BATCH_SIZES = [1, 16, 64, 256] as const;
const traceCode = () => Array.from(randomBytes(32), (byte) => CROCKFORD[byte % 32]).join('');

interface Row {
  name: string;
  transactions: number;
  items: number;
  seconds: number;
  latencies: number[];
}

/** Sends one transaction per input, `concurrency` in flight, and times each from send to receipt. */
async function measure<T>(
  name: string,
  inputs: readonly T[],
  itemsPerTx: number,
  concurrency: number,
  send: (input: T) => Promise<unknown>,
): Promise<Row> {
  const latencies: number[] = [];
  const queue = [...inputs];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let input = queue.shift(); input !== undefined; input = queue.shift()) {
        const t0 = performance.now();
        await send(input);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const count = inputs.length;
  return {
    name,
    transactions: count,
    items: count * itemsPerTx,
    seconds: (performance.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

await initPre();
const chain = await startScratchDevchain();
try {
  // as the engine runs it (ops/chain/connect.ts): native signing
  const client = new FiscoClient({
    rpcUrl: chain.rpcUrl,
    chainId: 'chain0',
    groupId: 'group0',
    signer: native.signDigest,
  });
  // the registries take writes only from registered hospitals, doctors and trace participants
  const ca = generateIdentity();
  const directory = await deployContract(client, ca.secretKey, Directory);
  const registry = await deployContract(client, ca.secretKey, RecordRegistry, [directory]);
  const trace = await deployContract(client, ca.secretKey, DrugTrace, [directory]);
  const registered = async (role: Role) => {
    const who = generateIdentity();
    await writeContract(client, ca.secretKey, {
      address: directory,
      abi: Directory.abi,
      functionName: 'register',
      args: [toHex(who.address), role, roleName(role), toHex(who.publicKey), zeroAddress],
    });
    return who;
  };
  const [hospital, manufacturer] = [await registered(Role.Hospital), await registered(Role.Manufacturer)];
  const rows: Row[] = [];

  const creates = 3000;
  const wrappedKeys = (count: number) =>
    Array.from({ length: count }, () =>
      toHex(
        preEncrypt(preDelegatorPublicKey(preKeygenDelegator().secretKey), generateDek(), {
          recordId: randomBytes(32),
          version: 1,
        }),
      ),
    );
  /** Gas of each committed transaction, per row name. */
  const gas = new Map<string, number[]>();
  const metered = async (name: string, receipt: Promise<Receipt>) => {
    const { gasUsed } = await receipt;
    gas.set(name, [...(gas.get(name) ?? []), Number(gasUsed)]);
  };
  const createRow = 'RecordRegistry.create';
  rows.push(
    await measure(createRow, wrappedKeys(creates), 1, 64, (key) =>
      metered(
        createRow,
        writeContract(client, hospital.secretKey, {
          address: registry,
          abi: RecordRegistry.abi,
          functionName: 'create',
          args: [toHex(randomBytes(32)), key],
        }),
      ),
    ),
  );
  // a batch window's records in one transaction: what issue 17's batched anchoring sends
  for (const size of BATCH_SIZES) {
    const name = `RecordRegistry.createBatch (${size})`;
    const batches = Array.from({ length: Math.max(4, Math.ceil(512 / size)) }, () => wrappedKeys(size));
    rows.push(
      await measure(name, batches, size, 4, (batch) =>
        metered(
          name,
          writeContract(client, hospital.secretKey, {
            address: registry,
            abi: RecordRegistry.abi,
            functionName: 'createBatch',
            args: [batch.map(() => toHex(randomBytes(32))), batch],
          }),
        ),
      ),
    );
  }

  async function proofs(count: number, items: number) {
    const nonce = (await client.getBlockHash(await client.getBlockNumber())) as Hex;
    const nonceBytes = Buffer.from(nonce.slice(2), 'hex');
    return Promise.all(
      Array.from({ length: count }, async () => {
        const codes = Array.from({ length: items }, traceCode);
        const steps = codes.map(() => randomBytes(160));
        const [code, step] = [codes[0] ?? '', steps[0] ?? new Uint8Array()];
        const proof =
          items === 1
            ? await native.prove(code, keccak_256(step), nonceBytes)
            : await native.proveBatch(
                codes,
                steps.map((s) => keccak_256(s)),
                nonceBytes,
              );
        return {
          ids: codes.map((c) => toHex(native.traceId(c))),
          steps: steps.map((bytes) => toHex(bytes)),
          nonce,
          proof: toHex(proof),
        };
      }),
    );
  }

  const singles = await proofs(200, 1);
  rows.push(
    await measure('DrugTrace.push (1 item)', singles, 1, 32, (p) =>
      writeContract(client, manufacturer.secretKey, {
        address: trace,
        abi: DrugTrace.abi,
        functionName: 'push',
        args: [p.ids[0] as Hex, p.steps[0] as Hex, p.nonce, p.proof],
      }),
    ),
  );
  const batches = await proofs(10, 100);
  rows.push(
    await measure('DrugTrace.pushBatch (100 items)', batches, 100, 4, (p) =>
      writeContract(client, manufacturer.secretKey, {
        address: trace,
        abi: DrugTrace.abi,
        functionName: 'pushBatch',
        args: [p.ids, p.steps, p.nonce, p.proof],
      }),
    ),
  );

  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores; dev chain in its own process, client in this one`,
  );
  console.log(
    `${'operation'.padEnd(34)}${'txs'.padStart(7)}${'items'.padStart(8)}${'tx/s'.padStart(9)}${'items/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(34)}${String(row.transactions).padStart(7)}${String(row.items).padStart(8)}${(row.transactions / row.seconds).toFixed(0).padStart(9)}` +
        `${(row.items / row.seconds).toFixed(0).padStart(10)}${percentile(row.latencies, 50).toFixed(1).padStart(9)}${percentile(row.latencies, 99).toFixed(1).padStart(9)}`,
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const createGas = mean(gas.get(createRow) ?? []);
  console.log(`\ngas per record (mean over each row's transactions; FISCO's default tx_gas_limit is 300 M):`);
  for (const row of rows) {
    const used = gas.get(row.name);
    if (!used) continue;
    const perRecord = mean(used) / (row.items / row.transactions);
    console.log(
      `${row.name.padEnd(34)}${perRecord.toFixed(0).padStart(9)} gas/record${mean(used).toFixed(0).padStart(12)} gas/tx   ${((100 * perRecord) / createGas).toFixed(0).padStart(4)} % of create`,
    );
  }
  const [creating] = rows;
  const createRate = creating ? creating.transactions / creating.seconds : 0;
  console.log(`goal: >= 300 creates/s — ${createRate >= 300 ? 'met' : 'MISSED'} (${createRate.toFixed(0)}/s)`);
} finally {
  await chain.stop();
}
