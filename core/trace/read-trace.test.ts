import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { toHex } from 'viem';
import { startScratchDevchain } from '../../ops/scratch/services.js';
import { FiscoClient } from '../ledger/fisco-client.js';
import { deployContract } from '../ledger/contract-calls.js';
import { LedgerError } from '../ledger/errors.js';
import { generateIdentity, generateTraceCode, sealTraceStep, sealTraceStepAs, type Identity } from '../crypto/index.js';
import { Directory, DrugTrace } from '../../contracts/artifacts.js';
import { Role } from '../roles.js';
import * as native from '../../native/index.js';
import { pushProvenStep } from '../../test/harness/trace-push.js';
import { directoryWrites } from '../../test/harness/directory-writes.js';
import { readTrace, type TraceReader } from './read-trace.js';

type TraceContracts = TraceReader['contracts'];

/**
 * The reader against real contracts on the dev chain. Steps that today's DrugTrace refuses (from a
 * revoked or wrongly-roled sender) are put on a second DrugTrace whose Directory says otherwise:
 * the reader must judge them against the Directory it trusts, as of each step's block.
 */
describe('readTrace on the dev chain', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let client: FiscoClient;
  const ca = generateIdentity();
  /** The consortium's Directory and DrugTrace, and a second pair that the tests set up to disagree. */
  let trusted: TraceContracts;
  let other: TraceContracts;

  const deploy = async (): Promise<TraceContracts> => {
    const directory = await deployContract(client, ca.secretKey, Directory);
    return {
      directory,
      drugTrace: await deployContract(client, ca.secretKey, DrugTrace, [directory]),
    };
  };
  const register = (contracts: TraceContracts, who: Identity, role: number, name: string) =>
    directoryWrites(client, ca).register(contracts.directory, who, role, name);
  const revoke = (contracts: TraceContracts, who: Identity) =>
    directoryWrites(client, ca).revoke(contracts.directory, who);
  /** `sender` pushes `c` with a valid proof: it holds the code. */
  const push = (contracts: TraceContracts, sender: Identity, code: string, c: Uint8Array) =>
    pushProvenStep(client, contracts.drugTrace, sender.secretKey, code, c);
  const step = (code: string, signer: Identity, event: string) =>
    sealTraceStep(code, native.traceId(code), signer.secretKey, utf8ToBytes(JSON.stringify({ event })));
  const read = (contracts: TraceContracts, code: string) =>
    readTrace({ chain: client, contracts, traceId: native.traceId }, code);
  const events = (steps: Array<{ data: string }>) => steps.map((s) => (JSON.parse(s.data) as { event: string }).event);

  before(async () => {
    chain = await startScratchDevchain();
    client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0' });
    [trusted, other] = [await deploy(), await deploy()];
  });
  after(async () => chain.stop());

  test('a step that does not decrypt or verify is reported with its reason and skipped; the valid history stays', async () => {
    const [maker, carrier, pharmacy, stranger] = [
      generateIdentity(),
      generateIdentity(),
      generateIdentity(),
      generateIdentity(),
    ];
    await register(trusted, maker, Role.Manufacturer, 'Maker');
    await register(trusted, carrier, Role.Carrier, 'Carrier');
    await register(trusted, pharmacy, Role.Pharmacy, 'Pharmacy');
    const code = generateTraceCode();
    const produced = step(code, maker, 'produced');
    await push(trusted, maker, code, produced);
    await push(trusted, carrier, code, randomBytes(64));
    await push(trusted, carrier, code, step(code, carrier, 'shipped'));
    await push(trusted, pharmacy, code, produced);
    await push(trusted, pharmacy, code, step(code, stranger, 'forged by a stranger'));
    const forged = sealTraceStepAs(
      { address: maker.address, secretKey: pharmacy.secretKey },
      code,
      native.traceId(code),
      utf8ToBytes('{"event":"forged as the maker"}'),
      native.signDigest,
    );
    await push(trusted, pharmacy, code, forged);
    await push(trusted, pharmacy, code, step(code, pharmacy, 'received'));

    const history = await read(trusted, code);
    assert.deepEqual(events(history.steps), ['produced', 'shipped', 'received']);
    assert.deepEqual(
      history.steps.map((s) => [s.index, s.signerName, s.signerRevokedAt]),
      [
        [0, 'Maker', null],
        [2, 'Carrier', null],
        [6, 'Pharmacy', null],
      ],
    );
    assert.deepEqual(
      history.invalid.map((s) => [s.index, s.reason, s.sender]),
      [
        [1, 'DECRYPT', toHex(carrier.address)],
        [3, 'NOT_SENDER', toHex(pharmacy.address)],
        [4, 'NOT_REGISTERED', toHex(pharmacy.address)],
        [5, 'SIGNATURE', toHex(pharmacy.address)],
      ],
    );
    assert.match(history.invalid[0]?.message ?? '', /does not decrypt with this trace code/);
    assert.match(history.invalid[1]?.message ?? '', /signed by Maker .* but pushed by 0x[0-9a-f]{40}/);
    assert.equal(JSON.stringify(history).includes(code), false, 'the code is a secret: no message carries it');
  });

  test("revocation counts as of the step's block: a step before it stays valid, one after it is invalid", async () => {
    const [maker, regulator] = [generateIdentity(), generateIdentity()];
    for (const contracts of [trusted, other]) await register(contracts, maker, Role.Manufacturer, 'Maker');
    await register(trusted, regulator, Role.Regulator, 'Regulator');
    await register(other, regulator, Role.Manufacturer, 'Regulator');
    const code = generateTraceCode();
    const earlier = await push(trusted, maker, code, step(code, maker, 'produced'));
    const revocation = await revoke(trusted, maker);
    await assert.rejects(
      push(trusted, maker, code, step(code, maker, 'produced again')),
      (error: unknown) =>
        error instanceof LedgerError && /only registered, unrevoked manufacturers/.test(error.message),
      'the trusted DrugTrace refuses a revoked sender',
    );
    const history = await read(trusted, code);
    assert.deepEqual(
      history.steps.map((s) => [s.block, s.signerRevokedAt]),
      [[earlier.blockNumber, revocation.blockNumber]],
      'valid history, and the reader learns the signer was revoked since',
    );
    assert.deepEqual(history.invalid, []);

    // a DrugTrace on a Directory that does not know of the revocation takes the step; the reader,
    // trusting the consortium's Directory, does not
    const later = await push(other, maker, code, step(code, maker, 'after the revocation'));
    await push(other, regulator, code, step(code, regulator, 'not a participant'));
    const judged = await read({ ...trusted, drugTrace: other.drugTrace }, code);
    assert.deepEqual(judged.steps, []);
    assert.deepEqual(
      judged.invalid.map((s) => s.reason),
      ['REVOKED', 'WRONG_ROLE'],
    );
    assert.match(
      judged.invalid[0]?.message ?? '',
      new RegExp(`in block ${later.blockNumber}, after its revocation in block ${revocation.blockNumber}`),
    );
  });
});
