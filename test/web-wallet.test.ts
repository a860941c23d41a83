import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { normalizeTraceCode } from '../core/crypto/index.js';
import { decryptKeystore } from '../core/keys/index.js';
import { lookupIdentity } from '../core/ledger/directory.js';
import { loadConfig, repoRoot } from '../ops/config/index.js';
import { chainClient } from '../ops/chain/connect.js';
import { requireDeployment } from '../ops/chain/deployment.js';
import { Role } from '../core/roles.js';
import { walletDir } from '../wallet/node/wallet-dir.js';
import { withEngineState } from '../ops/engine/open.js';
import { Wallet } from '../wallet/wallet.js';
import { fakeCameraArgs, openBrowser } from './harness/browser.js';
import { qrFrame } from './harness/qr.js';
import { runYilian } from './harness/cli-process.js';
import { findNeedles, type Needle } from './harness/privacy-scan.js';
import { startStack } from './harness/stack.js';
import { checkAck, frame, mllpSend } from '../connectors/mllp/test-helpers.js';
import { tempDir } from '../ops/scratch/services.js';
import { requestTraceCodes } from '../ops/scratch/erp.js';
import { COUNT_WASM_INSTANCES, WASM_INSTANCES } from '../ops/bench/wasm-probe.js';

const PASSPHRASE = 'correct horse 电池 staple';
const AUTHORITY = 'GOOD-HEALTH-MRN';
const IDENTIFIER = 'MRN-70001';
/** A lipid result for the patient; her name must never leave the engine in the clear, nor the browser. */
const ORU = [
  'MSH|^~\\&|LAB|GOOD HEALTH|YILIAN|GOOD HEALTH|20261202101500||ORU^R01^ORU_R01|WEB-WALLET-1|P|2.5.1',
  `PID|1||${IDENTIFIER}^^^${AUTHORITY}^MR||Zhaoxue^Meiling||19800101|F`,
  'OBR|1||LAB-1|24331-1^Lipid panel^LN|||20261202090000',
  'OBX|1|NM|2093-3^Cholesterol^LN||5.2|mmol/L|3.0-5.2|N|||F',
].join('\r');
const NAME = 'Wang Fang 王芳';

const wasmInstances = (page: Page) => page.evaluate<number>(WASM_INSTANCES);

test('the story in browsers: a patient’s wallet made there, registration approved by the CA CLI, enrolment, a record over MLLP opened and granted, the doctor opening it, a pharmacist looking up a box, the regulator verifying both; exported to and imported from the CLI; no secret sent', async (t) => {
  await access(join(repoRoot, 'web', 'dist', 'index.html')).catch(() =>
    assert.fail('web/dist is missing: run `cd web && npx vite build` (./ops/bootstrap builds it) before this test'),
  );
  const stack = await startStack('web-wallet');
  const files = await tempDir('web-wallet-files');
  t.after(() => files.remove());
  // the camera the patient scans the doctor's card with; it shows the card once the doctor has made it
  const camera = join(files.path, 'camera.y4m');
  await writeFile(camera, qrFrame('nothing to see yet'));
  const browser = await openBrowser(t, 'web-wallet', { args: fakeCameraArgs(camera) });
  const yilian = async (...args: string[]) => {
    const run = await runYilian(args, { env: stack.env });
    assert.equal(run.code, 0, `yilian ${args.join(' ')}: ${run.stderr}`);
    return run.stdout;
  };

  // 1. create: keys, prekeys and the signed request are made in the page
  const page = await browser.newPage({ locale: 'en-US' });
  await page.addInitScript(COUNT_WASM_INSTANCES);
  await page.goto(`${stack.api}/wallet`);
  await page.getByRole('heading', { level: 1, name: 'Wallet' }).waitFor({ timeout: 30_000 });
  await browser.screenshot(page, 'wallet-create');
  await page.getByLabel('Your name (as the Directory shows it)').fill(NAME);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(PASSPHRASE);
  // by keyboard: Enter in the last field submits the form
  await page.getByLabel('Passphrase again').press('Enter');
  const status = page.getByTestId('registration-status');
  await status.waitFor({ timeout: 60_000 });
  assert.equal(await status.getAttribute('data-status'), 'pending');
  const address = (await page.getByTestId('wallet-address').innerText()).trim();
  const requestId = (await page.getByTestId('registration-id').innerText()).trim();
  await browser.screenshot(page, 'wallet-pending');

  // 2. the CA operator lists and approves it from the CLI, signing the authorization there
  const listed = await yilian('ca', 'requests');
  assert.match(listed, new RegExp(`^${requestId}  ${address}  Patient  "${NAME}"`, 'm'));
  assert.match(await yilian('ca', 'approve', requestId), new RegExp(`registered ${address} as Patient`));
  await page.waitForSelector('[data-testid=registration-status][data-status=registered]', { timeout: 10_000 });
  await browser.screenshot(page, 'wallet-registered');
  const deployment = await requireDeployment(stack.home);
  const entry = await lookupIdentity(chainClient(loadConfig(stack.env)), deployment.directory, address);
  assert.deepEqual({ name: entry?.name, role: entry?.role }, { name: NAME, role: Role.Patient });
  const again = await runYilian(['ca', 'approve', requestId], { env: stack.env });
  assert.deepEqual({ code: again.code, said: /was already registered/.test(again.stderr) }, { code: 2, said: true });

  // the hospital gives her its engine's address (this page's) and its Directory account: she adds it,
  // and the 20 prekeys her registration carried are noted as that engine's alone, none published anew
  const hospital = await withEngineState(stack.home, (state) => state.localIdentity('Hospital'));
  assert.ok(hospital, "the stack's hospital identity");
  assert.equal(await page.getByTestId('engine-url').inputValue(), stack.api, "this page's engine is offered first");
  await page.getByTestId('engine-organisation').fill(hospital.address);
  await page.getByTestId('engine-add').click();
  await page.getByTestId('engine-result').getByText('Hospital added.').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('engine').innerText(), /Hospital[\s\S]*20 one-time keys given to it alone/);

  // 3. a result for the patient arrives over MLLP (python-hl7's mllp_send) before she is enrolled: it waits
  const feed = join(files.path, 'oru.mllp');
  await writeFile(feed, frame(ORU));
  const [ack] = await mllpSend(stack.mllpPort, feed, false);
  checkAck(ack ?? '', ORU, 'ORU^R01 for the browser patient');

  // 4. the hospital operator issues a one-time code with the CLI; the patient redeems it in the page
  const code = (await yilian('enrol-code', '--authority', AUTHORITY, '--identifier', IDENTIFIER)).trim();
  assert.match(code, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  const enrol = async (typed: string, expected: RegExp) => {
    await page.getByLabel('Enrolment code').fill(typed);
    await page.getByTestId('enrol-submit').click();
    await page.getByTestId('enrol-result').getByText(expected).waitFor({ timeout: 30_000 });
  };
  await enrol('AAAAA-BBBBB-CCCCC-DDDDD', /No enrolment has this code/);
  await enrol('not a code', /20 letters and digits/);
  // typed in lower case: the code is read in any case
  await enrol(code.toLowerCase(), /Enrolled\. 1 record that was waiting/);
  await browser.screenshot(page, 'wallet-enrolled');
  assert.doesNotMatch(stack.output(), new RegExp(code.replaceAll('-', '-?'), 'i'), 'the code is never logged');

  // 5. the record is in her timeline: opened and verified in the page, its author against the Directory
  await page.getByTestId('timeline-refresh').click();
  const own = page.getByTestId('timeline-entry');
  await own.first().waitFor({ timeout: 30_000 });
  assert.equal(await own.count(), 1);
  assert.equal(await own.getByTestId('entry-byline').innerText(), 'Hospital');
  assert.equal(await own.getByTestId('entry-engine').innerText(), 'via Hospital');
  await own.getByTestId('entry-show').click();
  const opened = own.getByTestId('entry-record');
  await opened.getByTestId('record-results').waitFor({ timeout: 30_000 });
  // read as a person reads it: the test, its value with its unit and reference range, the patient
  assert.match(
    await opened.getByTestId('record-results').innerText(),
    /Cholesterol[\s\S]*5\.2[\s\S]*mmol\/L[\s\S]*3\.0/,
  );
  assert.match(await opened.getByTestId('record-patient').innerText(), /Zhaoxue/);
  assert.doesNotMatch(await opened.innerText(), /OBX\|/, 'not raw pipes');
  const byline = await opened.getByTestId('record-author').innerText();
  // the hospital's intake signs the result: a hospital's record is its own, so no "· organisation"
  assert.equal(byline, `Signed by Hospital (${hospital.address})`);
  await browser.screenshot(page, 'wallet-record-open');
  // that record used one of her 20 prekeys: she publishes 20 more from the page
  await page.getByTestId('prekeys-publish').click();
  await page.getByTestId('prekeys-result').getByText('Published. 39 unused one-time keys').waitFor({ timeout: 30_000 });

  // 6. a doctor, in a browser of his own, registers and makes a one-time key; she grants him the record
  const doctor = await browser.newPage({ locale: 'en-US' });
  await doctor.goto(`${stack.api}/wallet`);
  await doctor.getByLabel('Your name (as the Directory shows it)').fill('Dr. Li Wei');
  await doctor.getByTestId('wallet-role').getByText('Doctor').click();
  // a doctor names the hospital they belong to; the CA registers the affiliation the request signed
  const organisation = doctor.getByLabel('My hospital (its account in the Directory)');
  await organisation.fill('Good Health');
  await doctor.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await doctor.getByLabel('Passphrase again').fill(PASSPHRASE);
  await doctor.getByTestId('wallet-create').click();
  await doctor.getByText('An account is 0x and 40 hex digits').waitFor({ timeout: 10_000 });
  await organisation.fill(hospital.address);
  await doctor.getByTestId('wallet-create').click();
  await doctor.getByTestId('registration-id').waitFor({ timeout: 60_000 });
  assert.match(
    await yilian('ca', 'approve', (await doctor.getByTestId('registration-id').innerText()).trim()),
    new RegExp(`as Doctor "Dr\\. Li Wei" of ${hospital.address.toLowerCase()}`),
  );
  await doctor.waitForSelector('[data-testid=registration-status][data-status=registered]', { timeout: 10_000 });
  await doctor.getByTestId('grantee-key-new').click();
  const granteeKey = (await doctor.getByTestId('grantee-key').innerText({ timeout: 30_000 })).trim();
  const doctorAccount = (await doctor.getByTestId('grantee-account').innerText()).trim();
  const doctorEntry = await lookupIdentity(chainClient(loadConfig(stack.env)), deployment.directory, doctorAccount);
  assert.equal(doctorEntry?.organisation, hospital.address.toLowerCase(), "the Directory has him as the hospital's");
  // his engine list starts with this page's engine and the hospital his request named
  assert.equal(await doctor.getByTestId('engine-organisation').inputValue(), hospital.address.toLowerCase());
  await doctor.getByTestId('engine-add').click();
  await doctor.getByTestId('engine-result').getByText('Hospital added.').waitFor({ timeout: 30_000 });
  const card = (await doctor.getByTestId('qr-code').locator('figcaption').innerText()).trim();
  assert.equal(card, `yilian-grantee/v1:${doctorAccount}:${granteeKey}`);
  await browser.screenshot(doctor, 'doctor-grantee-key');
  // she scans the card his page shows with her camera: account and key are filled in from it
  await writeFile(camera, qrFrame(card));
  await own.getByTestId('entry-grant').click();
  await own.getByTestId('grant-card').getByTestId('qr-scan').click();
  await own.getByTestId('grant-card').getByText('are filled in below').waitFor({ timeout: 30_000 });
  assert.equal(await own.getByTestId('grant-account').inputValue(), doctorAccount.toLowerCase());
  assert.equal(await own.getByTestId('grant-key').inputValue(), granteeKey.toLowerCase());
  // sent through the engine that delivered the record, the doctor's too here
  assert.match(await own.getByTestId('grant-engine').innerText(), /^Hospital \(/);
  await browser.screenshot(page, 'wallet-grant-scanned');
  await own.getByTestId('grant-submit').click();
  await own.getByTestId('grant-result').getByText('Granted to Dr. Li Wei').waitFor({ timeout: 60_000 });
  await browser.screenshot(page, 'wallet-granted');

  // 7. the doctor opens the granted record in his browser, decrypted there, author verified
  await doctor.getByTestId('timeline-refresh').click();
  const granted = doctor.getByTestId('timeline-entry');
  await granted.first().waitFor({ timeout: 30_000 });
  await granted.first().getByTestId('entry-show').click();
  const grantedContent = granted.first().getByTestId('record-patient');
  await grantedContent.waitFor({ timeout: 30_000 });
  assert.match(await grantedContent.innerText(), /Zhaoxue/);
  await browser.screenshot(doctor, 'doctor-record-open');
  const doctorMaterial = await exportedMaterial(doctor, join(files.path, 'doctor'));
  assert.equal(doctorMaterial.preKeys.length, 1, "the grantee key's secret is in the doctor's wallet");

  // 8. export: the downloaded file is the CLI's wallet folder file, opened with the same passphrase
  const exported = join(files.path, 'exported');
  const material = await exportedMaterial(page, exported);
  assert.deepEqual(await readdir(exported), [`${address.slice(2)}.json`]);
  assert.equal((await Wallet.open(walletDir(exported), PASSPHRASE)).identity.address, address);
  assert.equal(material.prekeys.length, 40, 'the prekeys published from the page are in the export');

  // 9. a CLI wallet's file imports into another browser (its own storage), and a wrong passphrase replaces nothing
  const cliDir = join(files.path, 'cli');
  const made = await runYilian(
    ['wallet', 'create', '--dir', cliDir, '--name', 'Zhang San 张三', '--role', 'patient', '--prekeys', '2'],
    { env: { ...stack.env, YILIAN_WALLET_PASSWORD: PASSPHRASE } },
  );
  assert.equal(made.code, 0, made.stderr);
  const cliAddress = (JSON.parse(made.stdout) as { address: string }).address;
  const other = await browser.newPage({ locale: 'zh-CN' });
  await other.goto(`${stack.api}/wallet`);
  await other.getByRole('heading', { level: 1, name: '钱包' }).waitFor({ timeout: 30_000 });
  const [cliFile] = await readdirJson(cliDir);
  await other.locator('section[aria-labelledby=import-title] input[type=file]').setInputFiles(cliFile ?? '');
  await other.getByTestId('import-passphrase').fill('wrong passphrase');
  await other.getByTestId('import-submit').click();
  await other.getByText('此钱包的口令不正确。').waitFor({ timeout: 30_000 });
  await browser.screenshot(other, 'wallet-import-wrong-zh');
  await other.getByTestId('import-passphrase').fill(PASSPHRASE);
  await other.getByTestId('import-submit').click();
  assert.equal((await other.getByTestId('wallet-address').innerText()).trim(), cliAddress);
  // registered by the CLI, not from this browser: the Directory says so
  await other.waitForSelector('[data-testid=registration-status][data-status=registered]', { timeout: 10_000 });
  // and, a patient, is not offered a grantee key once the Directory has answered
  await other.locator('#grantee-key-title').waitFor({ state: 'detached', timeout: 10_000 });
  await browser.screenshot(other, 'wallet-imported-zh');
  // she adds the hospital's engine (in Chinese); imported, the wallet gives it 20 new prekeys
  await other.getByTestId('engine-organisation').fill(hospital.address);
  await other.getByTestId('engine-add').click();
  await other
    .getByTestId('engine-result')
    .getByText('已添加 Hospital。该引擎已有 22 个一次性密钥')
    .waitFor({ timeout: 30_000 });
  await browser.screenshot(other, 'wallet-engine-added-zh');
  // the code was used: another account cannot redeem it
  await other.getByLabel('登记码', { exact: true }).fill(code);
  await other.getByTestId('enrol-submit').click();
  await other.getByText('此登记码已被使用。请向医院索取新的登记码。').waitFor({ timeout: 10_000 });
  // locked and reloaded, it opens from this browser's storage
  await other.reload();
  await other.getByTestId('unlock-passphrase').fill(PASSPHRASE);
  await other.getByTestId('unlock-submit').click();
  assert.equal((await other.getByTestId('wallet-address').innerText()).trim(), cliAddress);

  // 10. a pharmacist looks up a box the manufacturer's ERP reported, typing its printed code on the public page
  await yilian('identity', 'Web Pharma', '--role', 'manufacturer');
  const erpToken = (await yilian('org', 'issue', 'Web Pharma')).trim();
  const [boxCode = ''] = await requestTraceCodes(stack.api, erpToken, 1);
  const batch = await fetch(`${stack.api}/v1/trace/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${erpToken}`, 'idempotency-key': 'WEB-1', 'content-type': 'application/json' },
    body: JSON.stringify({
      product: 'Amoxicillin capsules 0.25 g × 24',
      nationalDrugCode: '国药准字H20065783',
      lot: 'WEB-LOT-1',
      manufacturedOn: '2026-11-02',
      expiresOn: '2028-11-01',
      items: [{ code: boxCode }],
    }),
  });
  assert.equal(batch.status, 202, await batch.clone().text());
  const { eventId } = (await batch.json()) as { eventId: string };
  for (let state = ''; state !== 'committed'; await new Promise((resolve) => setTimeout(resolve, 500))) {
    const answer = await fetch(`${stack.api}/v1/trace/events/${eventId}`, {
      headers: { authorization: `Bearer ${erpToken}` },
    });
    state = ((await answer.json()) as { status: string }).status;
    assert.notEqual(state, 'failed');
  }
  const pharmacist = await browser.newPage({ locale: 'en-US' });
  await pharmacist.goto(`${stack.api}/trace`);
  await pharmacist.getByTestId('trace-code').fill(boxCode);
  await pharmacist.getByTestId('trace-submit').click();
  await pharmacist.getByTestId('trace-step').first().waitFor({ timeout: 60_000 });
  assert.match(await pharmacist.getByTestId('trace-step-actor').first().innerText(), /Web Pharma, manufacturer/);
  assert.equal(await pharmacist.getByTestId('trace-step-verified').count(), 1);
  await browser.screenshot(pharmacist, 'pharmacy-trace');

  // 11. the regulator verifies the record the patient opened and the box's trace, from its printed code
  await yilian('identity', 'Web Health Authority', '--role', 'regulator');
  const regulatorToken = (await yilian('org', 'issue', 'Web Health Authority')).trim();
  const recordId = (await own.getAttribute('data-record-id')) ?? assert.fail('the entry names its record');
  const regulator = await browser.newPage({ locale: 'en-US' });
  await regulator.goto(`${stack.api}/regulator`);
  await regulator.getByLabel(/^Credential/).fill(regulatorToken);
  await regulator.getByTestId('sign-in').click();
  await regulator.getByTestId('record-id').fill(recordId);
  await regulator.getByTestId('verify-record').click();
  await regulator.waitForSelector('[data-testid=record-verdicts][data-holds=true]', { timeout: 60_000 });
  await regulator.getByTestId('qr-typed').fill(boxCode);
  await regulator.getByTestId('qr-use').click();
  await regulator.waitForSelector('[data-testid=trace-verdicts][data-holds=true]', { timeout: 60_000 });
  await browser.screenshot(regulator, 'regulator-verified');
  assert.doesNotMatch(await regulator.content(), /Zhaoxue|Meiling/, 'no patient content on the regulator page');

  // mcl-wasm was initialised once in the page that made prekeys, opened a record and made a re-encryption key
  assert.equal(await wasmInstances(page), 1);

  // nothing secret in any request of either page: passphrase, signing key, prekey secrets
  const needles: Needle[] = [
    { label: 'passphrase', bytes: utf8ToBytes(PASSPHRASE) },
    { label: "the patient's name", bytes: utf8ToBytes('Zhaoxue') },
    { label: "the box's trace code", bytes: utf8ToBytes(boxCode) },
    { label: "the box's trace code in lower case", bytes: utf8ToBytes(boxCode.toLowerCase()) },
    { label: "the box's trace code unprinted", bytes: utf8ToBytes(normalizeTraceCode(boxCode)) },
    { label: 'signing key', bytes: material.signingKey },
    ...material.prekeys.map((p) => ({ label: `prekey ${p.id} secret`, bytes: p.secretKey })),
    { label: "the doctor's signing key", bytes: doctorMaterial.signingKey },
    ...doctorMaterial.preKeys.map((k) => ({ label: `grantee key ${k.id} secret`, bytes: k.secretKey })),
  ];
  const sent = browser.requests.map((r, i) => ({
    place: `request ${i} ${r.method} ${r.url}`,
    bytes: Buffer.concat([Buffer.from(r.url), r.body]),
  }));
  assert.deepEqual(findNeedles(sent, needles), []);
  assert.ok(
    browser.requests.some((r) => r.method === 'POST' && r.url.endsWith('/v1/registrations')),
    'the registration request was among the recorded requests',
  );
  // the console's only complaints are the two refusals the story provoked: the wrong code, the used one
  assert.deepEqual(
    browser.errors,
    [404, 409].map(
      (status) =>
        `${stack.api}/wallet: Failed to load resource: the server responded with a status of ${status} (${status === 404 ? 'Not Found' : 'Conflict'})`,
    ),
  );
});

/** The keystore a page exports, saved as a CLI wallet folder's file and decrypted as the CLI does. */
async function exportedMaterial(page: Page, dir: string) {
  await mkdir(dir);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('wallet-export').click()]);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return decryptKeystore(JSON.parse(await readFile(path, 'utf8')), PASSPHRASE);
}

async function readdirJson(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.json')).map((name) => join(dir, name));
}
