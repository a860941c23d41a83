import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateTraceCode, type Identity } from '../../core/crypto/index.js';
import { writeContract } from '../../core/ledger/contract-calls.js';
import { Directory } from '../../contracts/artifacts.js';
import { pushProvenStep } from '../../test/harness/trace-push.js';
import { Role } from '../../core/roles.js';
import { SCRATCH_PASSWORD, startScratchEngine, type ScratchEngine } from '../scratch/engine.js';
import { workerEnv } from '../scratch/worker-process.js';
import { runYilian } from '../../test/harness/cli-process.js';
import { authorize } from '../../core/operators/authorization.js';
import { lookupIdentity } from '../../core/ledger/directory.js';
import { keystoreFiles } from '../../core/keys/node/keystore-file.js';
import type { PublicIdentity } from '../../core/crypto/index.js';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';

/** The wallet side of the flows through the real `yilian` command, against a running engine. */
describe('yilian wallet, enrol, record and trace commands', () => {
  let stack: ScratchEngine;
  let env: NodeJS.ProcessEnv;
  let bob: `0x${string}`;
  let hospital: `0x${string}`;

  const yilian = (...args: string[]) => runYilian(args, { env });

  before(async () => {
    stack = await startScratchEngine();
    await stack.startWorkers();
    env = {
      ...workerEnv(stack),
      YILIAN_API_PORT: new URL(stack.apiUrl).port,
      YILIAN_WALLET_PASSWORD: 'wallet password for tests',
      // the engine's operator signs the CLI's registrations and enrolments (ops/engine/operators.ts)
      YILIAN_OPERATOR_PASSWORD: SCRATCH_PASSWORD,
    };
    hospital = (
      await stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', { name: 'CLI Hospital', role: Role.Hospital }),
      )
    ).address;
    bob = (
      await stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', { name: 'Dr. Bob', role: Role.Doctor, organisation: hospital }),
      )
    ).address;
  });
  after(async () => stack.stop());

  const revoke = async (account: `0x${string}`) =>
    writeContract(stack.chain, (stack.engine.ca as Identity).secretKey, {
      address: stack.engine.contracts.directory,
      abi: Directory.abi,
      functionName: 'revoke',
      args: [account],
    });

  test('a patient makes a wallet, enrols, reads a record and grants it; a doctor reads the grant', async () => {
    const aliceDir = join(stack.home, 'cli-alice');
    const created = await yilian(
      'wallet',
      'create',
      '--dir',
      aliceDir,
      '--name',
      'Alice',
      '--role',
      'patient',
      '--prekeys',
      '3',
    );
    assert.equal(created.code, 0, created.stderr);
    const alice = JSON.parse(created.stdout) as { address: string; prekeys: number };
    assert.equal(alice.prekeys, 3);

    const enrolled = await yilian('enrol', '--account', alice.address, '--authority', 'CLI-MRN', '--identifier', '555');
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const record =
      'MSH|^~\\&|CLI|CLI|||20260101||ORU^R01|CLI-1|P|2.5\rPID|1||555^^^CLI-MRN\rOBX|1|ST|note||cli test result';
    const source = { kind: 'hl7' as const, sendingFacility: 'CLI', controlId: 'CLI-1' };
    const reference = await stack.workflows.execute.anchorRecord({
      source,
      record,
      patient: { authority: 'CLI-MRN', identifier: '555' },
      author: bob,
    });

    const inbox = await yilian('wallet', 'inbox', '--dir', aliceDir);
    assert.equal(inbox.code, 0, inbox.stderr);
    assert.match(inbox.stdout, new RegExp(reference.recordId));
    const read = await yilian('record', 'read', '--dir', aliceDir, '--record', reference.recordId);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, record);
    assert.match(read.stderr, /verified: signed by Dr\. Bob · CLI Hospital \(/, "the record is Dr. Bob's hospital's");

    const carolDir = join(stack.home, 'cli-carol');
    const carol = JSON.parse(
      (
        await yilian(
          'wallet',
          'create',
          '--dir',
          carolDir,
          '--name',
          'Dr. Carol',
          '--role',
          'doctor',
          '--organisation',
          hospital.toUpperCase().replace('0X', '0x'),
        )
      ).stdout,
    ) as { address: string };
    const carolEntry = await lookupIdentity(stack.chain, stack.engine.contracts.directory, carol.address);
    assert.equal(carolEntry?.organisation, hospital.toLowerCase(), "Dr. Carol is registered as the hospital's");
    const granteeKey = (await yilian('wallet', 'grantee-key', '--dir', carolDir)).stdout.trim();
    const granted = await yilian(
      'record',
      'grant',
      '--dir',
      aliceDir,
      '--record',
      reference.recordId,
      '--grantee',
      carol.address,
      '--grantee-key',
      granteeKey,
    );
    assert.equal(granted.code, 0, granted.stderr);
    assert.match(granted.stdout, /granted .* to Dr\. Carol/);
    const readByCarol = await yilian('record', 'read', '--dir', carolDir, '--record', reference.recordId);
    assert.equal(readByCarol.code, 0, readByCarol.stderr);
    assert.equal(readByCarol.stdout, record);

    const unknown = await yilian('record', 'read', '--dir', carolDir, '--record', `0x${'00'.repeat(32)}`);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /not in this wallet's inbox/);

    await revoke(bob);
    const afterRevocation = await yilian('record', 'read', '--dir', aliceDir, '--record', reference.recordId);
    assert.equal(afterRevocation.code, 0, 'a record created before its author was revoked stays readable');
    assert.equal(afterRevocation.stdout, record);
  });

  test("a doctor's hospital is checked before registering; the same registration again is done, another is a conflict", async () => {
    const register = (name: string, role: Role, organisation?: `0x${string}`, identity?: PublicIdentity) =>
      stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', {
          name,
          role,
          ...(identity ? { identity } : {}),
          ...(organisation ? { organisation } : {}),
        }),
      );
    const refused = async (work: Promise<unknown>, type: string, reason: RegExp) =>
      assert.rejects(work, (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError, String(error));
        let cause: unknown = error.cause;
        while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
        assert.ok(cause instanceof ApplicationFailure && cause.type === type, String(cause));
        assert.match(cause.message, reason);
        return true;
      });
    const pharmacy = (await register('CLI Pharmacy', Role.Pharmacy)).address;
    const closed = (await register('Closed Hospital', Role.Hospital)).address;
    await revoke(closed);
    await refused(
      register('Dr. Nobody', Role.Doctor, pharmacy),
      'BadAffiliation',
      /is a Pharmacy; a doctor's must be a Hospital/,
    );
    await refused(register('Dr. Late', Role.Doctor, closed), 'BadAffiliation', /Closed Hospital\) has been revoked/);
    await refused(
      register('Dr. Ghost', Role.Doctor, `0x${'42'.repeat(20)}`),
      'BadAffiliation',
      /is not registered in the Directory/,
    );
    await refused(register('Pat', Role.Patient, hospital), 'BadAffiliation', /only a doctor names its hospital/);

    // a registration of an account already in the Directory: the same entry counts as done, another
    // affiliation is a conflict (each under its own workflow id, so the activity decides)
    const keysOf = (registered: PublicIdentity) => ({ address: registered.address, publicKey: registered.publicKey });
    const eve = await register('Dr. Eve', Role.Doctor, hospital);
    assert.ok(eve.transactionHash);
    assert.equal((await register('Dr. Eve', Role.Doctor, hospital, keysOf(eve))).transactionHash, null, 'done');
    const dan = await register('Dr. Dan', Role.Doctor, hospital);
    const elsewhere = (await register('Other Hospital', Role.Hospital)).address;
    await refused(
      register('Dr. Dan', Role.Doctor, elsewhere, keysOf(dan)),
      'AlreadyRegistered',
      new RegExp(`already registered as "Dr\\. Dan" with role 3 of ${hospital.toLowerCase()}`),
    );

    const wrongRole = await yilian(
      'wallet',
      'create',
      '--dir',
      join(stack.home, 'cli-pat'),
      '--name',
      'Pat',
      '--role',
      'patient',
      '--organisation',
      hospital,
    );
    assert.notEqual(wrongRole.code, 0);
    assert.match(wrongRole.stderr, /--organisation is for a doctor/);
    const malformed = await yilian(
      'wallet',
      'create',
      '--dir',
      join(stack.home, 'cli-dr-x'),
      '--name',
      'Dr. X',
      '--role',
      'doctor',
      '--organisation',
      'hospital-a',
    );
    assert.notEqual(malformed.code, 0);
    assert.match(
      malformed.stderr,
      /--organisation must be the hospital's account, 0x and 40 hex digits, not "hospital-a"/,
    );
    assert.doesNotMatch(malformed.stderr, /\n\s+at /, 'no stack trace');
  });

  test('a patient registered with --prekeys 0 publishes none; a count that is not a whole number to 100 is refused before any key is made', async () => {
    const dir = join(stack.home, 'cli-dora');
    const created = await yilian(
      'wallet',
      'create',
      '--dir',
      dir,
      '--name',
      'Dora',
      '--role',
      'patient',
      '--prekeys',
      '0',
    );
    assert.equal(created.code, 0, created.stderr);
    const dora = JSON.parse(created.stdout) as { address: `0x${string}`; prekeys?: number };
    assert.equal(dora.prekeys, undefined, 'registered without a prekey bundle');
    assert.equal(
      (await lookupIdentity(stack.chain, stack.engine.contracts.directory, dora.address))?.role,
      Role.Patient,
    );
    assert.equal(await stack.engine.state.unclaimedPrekeys(dora.address), 0);

    // she enrols with the hospital's engine from her wallet: prekeys to it alone, then its code
    const addEngine = (organisation: string, ...more: string[]) =>
      yilian(
        'wallet',
        'engines',
        'add',
        '--dir',
        dir,
        '--engine',
        stack.apiUrl,
        '--organisation',
        organisation,
        ...more,
      );
    const notAHospital = await addEngine(dora.address);
    assert.equal(notAHospital.code, 2);
    assert.match(
      notAHospital.stderr,
      /is not a registered, unrevoked hospital or pharmacy in the Directory \(it is Dora, Patient\)/,
    );
    const added = await addEngine(hospital, '--prekeys', '4');
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /^CLI Hospital \(http:\/\/127\.0\.0\.1:\d+\) added; 4 prekeys published to it alone, 4 unclaimed there/,
    );
    assert.equal(await stack.engine.state.unclaimedPrekeys(dora.address), 4);
    const code = await yilian('enrol-code', '--authority', 'CLI-MRN', '--identifier', '777');
    assert.equal(code.code, 0, code.stderr);
    const enrolled = await yilian(
      'wallet',
      'enrol',
      '--dir',
      dir,
      '--engine',
      stack.apiUrl,
      '--code',
      code.stdout.trim(),
    );
    assert.equal(enrolled.code, 0, enrolled.stderr);
    assert.match(enrolled.stdout, /^enrolled at CLI Hospital; 0 waiting record\(s\) woken/);
    const record = 'MSH|^~\\&|CLI|CLI|||20260101||ORU^R01|CLI-7|P|2.5\rPID|1||777^^^CLI-MRN\rOBX|1|ST|note||dora';
    const reference = await stack.workflows.execute.anchorRecord({
      source: { kind: 'hl7', sendingFacility: 'CLI', controlId: 'CLI-7' },
      record,
      patient: { authority: 'CLI-MRN', identifier: '777' },
      author: hospital,
    });
    const timeline = await yilian('wallet', 'timeline', '--dir', dir);
    assert.equal(timeline.code, 0, timeline.stderr);
    assert.match(
      timeline.stdout,
      new RegExp(`^block \\d+  ORU\\^R01  CLI Hospital  record ${reference.recordId} \\(via CLI Hospital\\)`),
    );
    for (const count of ['-1', '2.5', 'many', '101', '']) {
      const refusedDir = join(stack.home, 'cli-refused');
      const refused = await yilian(
        'wallet',
        'create',
        '--dir',
        refusedDir,
        '--name',
        'Ray',
        '--role',
        'patient',
        '--prekeys',
        count,
      );
      assert.notEqual(refused.code, 0, count);
      assert.match(refused.stderr, /--prekeys must be a whole number from 0 to 100, not "/, count);
      assert.deepEqual(await keystoreFiles(refusedDir), [], `${count}: no wallet made`);
    }
  });

  test("a staff member's identity card names their hospital; the CA registers it from the card", async () => {
    const made = await yilian('org', 'keys', 'Dr. Card', '--role', 'doctor', '--organisation', hospital);
    assert.equal(made.code, 0, made.stderr);
    const card = JSON.parse(made.stdout) as { address: string; organisation?: string };
    assert.equal(card.organisation, hospital.toLowerCase());
    const file = join(stack.home, 'dr-card.card.json');
    await writeFile(file, made.stdout);
    const registered = await yilian('ca', 'register', file);
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(
      registered.stdout,
      new RegExp(`registered ${card.address} as Doctor "Dr\\. Card" of ${hospital.toLowerCase()}`),
    );
    const entry = await lookupIdentity(stack.chain, stack.engine.contracts.directory, card.address);
    assert.equal(entry?.organisation, hospital.toLowerCase());

    const hospitalCard = await yilian('org', 'keys', 'Card Hospital', '--role', 'hospital', '--organisation', hospital);
    assert.notEqual(hospitalCard.code, 0);
    assert.match(hospitalCard.stderr, /--organisation is for a doctor/);
  });

  test('a trace code prints its verified history; a mistyped code is refused without echoing it', async () => {
    const manufacturer = (
      await stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', { name: 'Maker', role: Role.Manufacturer }),
      )
    ).address;
    const code = generateTraceCode();
    await stack.workflows.execute.traceStep({
      source: { kind: 'erp', org: 'Maker', eventId: 'cli-1' },
      participant: manufacturer,
      items: [{ code, data: '{"event":"produced"}' }],
    });
    const history = await yilian('trace', code.toLowerCase());
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^0\. Maker \(0x[0-9a-f]{40}\): \{"event":"produced"\}/);

    // a registered carrier holding the code pushes 64 random bytes: listed as invalid, the history stays
    const carrier = (
      await stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', { name: 'Carrier', role: Role.Carrier }),
      )
    ).address;
    const junk = randomBytes(64);
    const pushed = await pushProvenStep(
      stack.chain,
      stack.engine.contracts.drugTrace,
      (await stack.engine.keyring.identity(carrier)).secretKey,
      code,
      junk,
    );
    const poisoned = await yilian('trace', code);
    assert.equal(poisoned.code, 0, poisoned.stderr);
    assert.match(poisoned.stdout, /^0\. Maker \(0x[0-9a-f]{40}\): \{"event":"produced"\}$/m);
    assert.match(
      poisoned.stdout,
      new RegExp(
        `^1\\. ✗ invalid, pushed by ${carrier} in block ${pushed.blockNumber}: does not decrypt with this trace code`,
        'm',
      ),
    );
    assert.match(poisoned.stderr, /1 step\(s\) did not verify and are not part of the history; 1 did/);

    // the maker is revoked: its step, pushed before, is still history
    const revocation = await revoke(manufacturer);
    const afterRevocation = await yilian('trace', code);
    assert.equal(afterRevocation.code, 0, afterRevocation.stderr);
    assert.match(
      afterRevocation.stdout,
      new RegExp(`^0\\. Maker .*"produced"\\} \\[signer revoked later, in block ${revocation.blockNumber}\\]$`, 'm'),
    );
    const typo = `${code.slice(0, 31)}U`;
    const refused = await yilian('trace', typo);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /symbol 32 is not Crockford base32/);
    assert.equal(refused.stderr.includes(code.slice(0, 31)), false, 'the code is a secret: never echoed');
  });
});
