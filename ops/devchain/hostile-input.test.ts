import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { hexToBytes } from '@noble/hashes/utils.js';
import {
  decodeAbiParameters,
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  encodeFunctionResult,
  numberToHex,
  type Hex,
} from 'viem';
import { startScratchDevchain } from '../scratch/services.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { signTransaction } from '../../core/ledger/sign-transaction.js';
import { encodeTransaction, type SignedTransaction } from '../../core/ledger/tars-transaction.js';
import { TransactionStatus } from '../../core/ledger/status.js';
import { generateIdentity } from '../../core/crypto/index.js';
import { REENCRYPT_PRECOMPILE, reencryptAbi, STARK_PRECOMPILE, starkAbi } from '../../precompiled/abi.js';
import { CALL_TIME_BUDGET_MS, MAX_INPUT_BYTES, TRANSACTION_TIME_BUDGET_MS } from './chain.js';

/**
 * The dev chain against the inputs of issue 11 § 2 and the panics of § 5, as its own process on
 * the real RPC. The contracts are raw bytecode deployed here, so nothing depends on Yilian's own.
 */
const RUNTIME = {
  /** JUMPDEST PUSH1 0 JUMP: loops until gas or time runs out. */
  loop: '5b600056',
  /**
   * CALL(GAS, ADDRESS, 0, 0, 0, 0, 0) seven times in straight-line code: no loop, but a tree of
   * calls to itself as large as the gas allows (30 M gas took 24 s on this EVM).
   */
  recurse: `${'60006000600060006000305af150'.repeat(7)}00`,
  /** SSTORE(0, CALLDATALOAD(0)), then returns SLOAD(0): an honest transaction's and call's work. */
  echo: '60003560005560005460005260206000f3',
  /**
   * STATICCALL(gas = word 0, to = word 1, input = the rest), returning the call's first output
   * word and its success flag: how a contract calls a precompile with the gas it chooses.
   */
  forward: '6040360380604060003760206000826000602035600035fa60205260406000f3',
};

const vectors = {
  trace: JSON.parse(
    await readFile(new URL('../../precompiled/test/vectors/trace-proof.json', import.meta.url), 'utf8'),
  ) as {
    single: { id: string; ciphertextHash: string; nonce: string; proof: string };
  },
  pre: JSON.parse(await readFile(new URL('../../docs/vectors/pre.json', import.meta.url), 'utf8')) as Array<{
    c1: string;
    rk: string;
  }>,
};

describe('dev chain under hostile input', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let client: FiscoClient;
  const sender = generateIdentity();
  const contracts = { loop: '', recurse: '', echo: '', forward: '' };

  before(async () => {
    // the setting that made each rejected proof a 2 KB backtrace in the log
    process.env.RUST_BACKTRACE = '1';
    chain = await startScratchDevchain();
    client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0', receiptTimeoutMs: 30_000 });
    for (const name of ['loop', 'recurse', 'echo', 'forward'] as const) {
      const runtime = RUNTIME[name];
      const size = (runtime.length / 2).toString(16).padStart(2, '0');
      const receipt = await client.send(
        { to: '', input: hexToBytes(`60${size}600c60003960${size}6000f3${runtime}`) },
        sender.secretKey,
      );
      contracts[name] = receipt.contractAddress;
    }
  });
  after(async () => chain.stop());

  const word = (value: number) => numberToHex(value, { size: 32 });

  async function signed(to: string, input: Uint8Array): Promise<SignedTransaction> {
    const current = BigInt(await client.getBlockNumber());
    return signTransaction(
      { chainId: 'chain0', groupId: 'group0', blockLimit: current + 500n, to, input },
      sender.secretKey,
    );
  }
  const send = (tx: SignedTransaction) =>
    client.sendSigned(encodeTransaction(tx), `0x${Buffer.from(tx.dataHash).toString('hex')}`);

  /**
   * Asks for the block number and makes an honest call every 100 ms until `work` settles, as the
   * engine's health check and Directory reads do; the slowest of those answers.
   */
  async function slowestAnswerWhile(work: Promise<unknown>): Promise<{ slowestMs: number; answers: number }> {
    // set from the callbacks while the loop below polls
    const status = { settled: false };
    work.then(
      () => (status.settled = true),
      () => (status.settled = true),
    );
    let slowestMs = 0;
    let answers = 0;
    while (!status.settled) {
      const started = performance.now();
      await client.getBlockNumber();
      const echoed = await client.call(contracts.echo, word(answers));
      assert.equal(echoed.status, TransactionStatus.None);
      assert.equal(echoed.output, word(answers));
      slowestMs = Math.max(slowestMs, performance.now() - started);
      answers++;
      await sleep(100);
    }
    return { slowestMs, answers };
  }

  test('a field that could only fail in execution is refused at the pool; the honest transactions sent with it are committed', async () => {
    const honest = await Promise.all(
      Array.from({ length: 8 }, (_, i) => signed(contracts.echo.slice(2), hexToBytes(word(i + 1).slice(2)))),
    );
    const notAddresses = [
      'zz'.repeat(20),
      '12'.repeat(19),
      '12'.repeat(21),
      `0x${'12'.repeat(19)}`,
      ` ${'ab'.repeat(19)}a`,
      'Ａ'.repeat(40),
    ];
    const malformed = await Promise.all(notAddresses.map((to) => signed(to, new Uint8Array([1]))));
    // sent at once: they land in the same 5 ms batch window
    const [honestOutcomes, malformedOutcomes] = await Promise.all([
      Promise.allSettled(honest.map(send)),
      Promise.allSettled(malformed.map(send)),
    ]);
    for (const outcome of honestOutcomes) {
      assert.equal(outcome.status, 'fulfilled', outcome.status === 'rejected' ? String(outcome.reason) : '');
    }
    const refusedAsMalformed = (reason: unknown) => {
      assert.ok(reason instanceof LedgerError, String(reason));
      assert.equal(reason.code, 'REJECTED', reason.message);
      assert.equal(reason.details.status, TransactionStatus.Malformed, reason.message);
      assert.match(reason.message, /to must be an address/);
      return true;
    };
    for (const outcome of malformedOutcomes) {
      assert.equal(outcome.status, 'rejected');
      refusedAsMalformed(outcome.reason);
    }
    // refused, not stranded: sending one again is refused the same way, not AlreadyInTxPool
    await assert.rejects(send(malformed[0] as SignedTransaction), refusedAsMalformed);
  });

  for (const kind of ['loop', 'recurse'] as const) {
    test(`a call that ${kind}s ends with OutOfGas within its time budget, and the node answers everything else meanwhile`, async () => {
      const started = performance.now();
      const hostile = client.call(contracts[kind], '0x');
      const { slowestMs, answers } = await slowestAnswerWhile(hostile);
      const result = await hostile;
      const elapsedMs = performance.now() - started;

      assert.equal(result.status, TransactionStatus.OutOfGas);
      const reason = decodeErrorResult({ data: result.output as Hex }).args[0];
      assert.match(String(reason), new RegExp(`after ${CALL_TIME_BUDGET_MS} ms.*for a call`));
      assert.ok(elapsedMs < CALL_TIME_BUDGET_MS + 2000, `the call ended after ${elapsedMs.toFixed(0)} ms`);
      assert.ok(answers >= 10, `${answers} answers while it ran`);
      assert.ok(slowestMs < 1000, `the slowest answer while it ran took ${slowestMs.toFixed(0)} ms`);
    });
  }

  test('a transaction that loops gets a failed receipt within its time budget; the node answers meanwhile and commits the next one', async () => {
    const started = performance.now();
    const looping = send(await signed(contracts.loop.slice(2), new Uint8Array()));
    await sleep(200);
    const next = send(await signed(contracts.echo.slice(2), hexToBytes(word(42).slice(2))));
    const { slowestMs, answers } = await slowestAnswerWhile(looping);
    const elapsedMs = performance.now() - started;

    await assert.rejects(looping, (error: unknown) => {
      assert.ok(error instanceof LedgerError, String(error));
      assert.equal(error.code, 'EXECUTION', error.message);
      assert.equal(error.details.status, TransactionStatus.OutOfGas, error.message);
      assert.match(error.message, new RegExp(`after ${TRANSACTION_TIME_BUDGET_MS} ms.*for one transaction`));
      return true;
    });
    assert.ok(elapsedMs < TRANSACTION_TIME_BUDGET_MS + 3000, `the receipt came after ${elapsedMs.toFixed(0)} ms`);
    assert.ok(answers >= 20, `${answers} answers while it ran`);
    assert.ok(slowestMs < 1000, `the slowest answer while it ran took ${slowestMs.toFixed(0)} ms`);
    assert.equal((await next).status, TransactionStatus.None);
  });

  test('oversize inputs are refused at once with an error naming the limit', async () => {
    const rpc = async (body: string) => {
      const started = performance.now();
      const response = await fetch(chain.rpcUrl, { method: 'POST', body });
      const answer = (await response.json()) as { error?: { message: string } };
      return { message: answer.error?.message ?? '', ms: performance.now() - started };
    };
    const request = (method: string, params: unknown[]) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
    const overLimit = `0x${'ab'.repeat(MAX_INPUT_BYTES + 1)}`;

    const call = await rpc(request('call', ['group0', '', contracts.echo, overLimit]));
    assert.match(
      call.message,
      new RegExp(`call data of ${MAX_INPUT_BYTES + 1} bytes, over the ${MAX_INPUT_BYTES}-byte limit`),
    );
    const transaction = await rpc(request('sendTransaction', ['group0', '', overLimit, false]));
    assert.match(transaction.message, new RegExp(`over the ${MAX_INPUT_BYTES}-byte limit`));
    const body = await rpc(
      request('call', ['group0', '', contracts.echo, `${overLimit}${'ab'.repeat(MAX_INPUT_BYTES)}`]),
    );
    assert.match(body.message, /request body over the \d+-byte limit/);
    // a body of brackets parses, but walking it (String(), JSON.stringify of the id) recursed per level
    const depth = 1_000_000;
    const nested = await rpc(
      `{"jsonrpc":"2.0","method":"getBlockNumber","params":["group0",""],"id":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    );
    assert.match(nested.message, /request nested deeper than 32 levels/);
    for (const { ms } of [call, transaction, body, nested]) assert.ok(ms < 3000, `answered in ${ms.toFixed(0)} ms`);
    assert.ok((await client.getBlockNumber()) > 0);
  });

  test('precompiles charge their gas before the work: one gas short is out of gas, the price itself verifies', async () => {
    const { id, ciphertextHash, nonce, proof } = vectors.trace.single;
    const verify = encodeFunctionData({
      abi: starkAbi,
      functionName: 'verifyTrace',
      args: [`0x${id}`, `0x${ciphertextHash}`, `0x${nonce}`, `0x${proof}`],
    });
    // pinned like precompiled/test/precompiled_test.cpp, so both implementations charge the same
    assert.equal((verify.length - 2) / 2, 49220);
    const verifyGas = 500_000 + 2_000 * 1 + 16 * 49220;
    const reencrypt = encodeFunctionData({
      abi: reencryptAbi,
      functionName: 'reencrypt',
      args: [`0x${vectors.pre[0]?.c1 ?? ''}`, `0x${vectors.pre[0]?.rk ?? ''}`],
    });
    const reencryptGas = 79_000;

    const forward = async (gas: number, to: string, input: Hex) => {
      const head = encodeAbiParameters([{ type: 'uint256' }, { type: 'address' }], [BigInt(gas), to as Hex]);
      const result = await client.call(contracts.forward, `${head}${input.slice(2)}`);
      assert.equal(result.status, TransactionStatus.None);
      const [firstWord, succeeded] = decodeAbiParameters([{ type: 'bytes32' }, { type: 'bool' }], result.output as Hex);
      return { firstWord, succeeded };
    };
    assert.equal((await forward(verifyGas - 1, STARK_PRECOMPILE, verify)).succeeded, false);
    assert.deepEqual(await forward(verifyGas, STARK_PRECOMPILE, verify), { firstWord: word(1), succeeded: true });
    assert.equal((await forward(reencryptGas - 1, REENCRYPT_PRECOMPILE, reencrypt)).succeeded, false);
    assert.equal((await forward(reencryptGas, REENCRYPT_PRECOMPILE, reencrypt)).succeeded, true);
  });

  test('proofs that make the verifier panic are answered false, each with one short line in the log at most', async () => {
    const { id, ciphertextHash, nonce, proof } = vectors.trace.single;
    const logged = (await readFile(chain.logFile, 'utf8')).length;
    const hostile = [1, 2, 3, 4, 5, 6, 7, 8].map((value) => {
      const bytes = hexToBytes(proof);
      bytes[2] = value; // in the proof's trace info, where winterfell asserts instead of failing
      return Buffer.from(bytes).toString('hex');
    });
    for (const bad of hostile) {
      const result = await client.call(
        STARK_PRECOMPILE,
        encodeFunctionData({
          abi: starkAbi,
          functionName: 'verifyTrace',
          args: [`0x${id}`, `0x${ciphertextHash}`, `0x${nonce}`, `0x${bad}`],
        }),
      );
      assert.equal(result.status, TransactionStatus.None);
      assert.equal(result.output, encodeFunctionResult({ abi: starkAbi, functionName: 'verifyTrace', result: false }));
    }
    const added = (await readFile(chain.logFile, 'utf8')).slice(logged);
    const lines = added.split('\n').filter((line) => line !== '');
    assert.ok(lines.length <= hostile.length, added);
    for (const line of lines) {
      assert.ok(line.length < 240, line);
      assert.match(line, /^yilian-native: refused input \(panic at /);
    }
  });
});
