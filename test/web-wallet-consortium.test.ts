import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { checkAck, frame, mllpSend } from '../connectors/mllp/test-helpers.js';
import { repoRoot } from '../ops/config/index.js';
import { ORGANISATIONS, startConsortium, type Consortium } from '../ops/consortium/launch.js';
import { SCRATCH_SCRYPT } from '../ops/scratch/engine.js';
import { tempDir } from '../ops/scratch/services.js';
import { openBrowser } from './harness/browser.js';
import { runYilian } from './harness/cli-process.js';

/** The CA and two hospitals: each its own engine, kubo node, Temporal and Redis; one dev chain. */
const MEMBERS = ORGANISATIONS.filter((org) => ['ca', 'hospital-a', 'hospital-b'].includes(org.slug));

/** A result for Alice at one hospital, under its own patient number. */
const oru = (hospital: string, id: string, test: string, value: string) =>
  [
    `MSH|^~\\&|LAB|${hospital}|YILIAN|${hospital}|20261203081500||ORU^R01^ORU_R01|${id}|P|2.5.1`,
    `PID|1||${id}-MRN^^^${hospital}-MRN^MR||Liu^Alice||19850315|F`,
    `OBR|1||${id}-LAB|24331-1^Lipid panel^LN|||20261203080000`,
    `OBX|1|NM|${test}||${value}|mmol/L|0.0-5.2|N|||F`,
  ].join('\r');

let consortium: Consortium | undefined;
after(() => consortium?.stop());

test('one web wallet, two hospitals’ engines: served by hospital A, it adds hospital B (named by the Directory), enrols at each, and shows both hospitals’ records in one timeline, each verified through the engine that delivered it; an engine away is said plainly', async (t) => {
  await access(join(repoRoot, 'web', 'dist', 'index.html')).catch(() =>
    assert.fail('web/dist is missing: run `cd web && npx vite build` before this test'),
  );
  const started = Date.now();
  const dir = await tempDir('web-wallet-consortium');
  t.after(() => dir.remove());
  const c = await startConsortium({
    dir: dir.path,
    organisations: MEMBERS,
    scrypt: SCRATCH_SCRYPT,
  });
  consortium = c;
  t.diagnostic(`consortium of 3 engines ready in ${(c.startupMs / 1000).toFixed(1)} s`);
  const [ca, a, b] = [c.engine('ca'), c.engine('hospital-a'), c.engine('hospital-b')];

  // Alice's one wallet: made with the CLI in the CA's environment, registered by the CA's operator
  const alice = await c.person({ slug: 'alice', name: 'Alice Liu 刘爱丽', role: 'patient' });
  const [keystore = ''] = (await readdir(alice.dir)).filter((name) => name.endsWith('.json'));

  // each hospital has a result for her before she is enrolled there: HL7 v2 over MLLP into its own engine
  for (const [engine, hospital, id, code, value] of [
    [a, 'HOSPITAL-A', 'A-7001', '2093-3^Cholesterol^LN', '5.1'],
    [b, 'HOSPITAL-B', 'B-7001', '2571-8^Triglyceride^LN', '1.4'],
  ] as const) {
    const message = oru(hospital, id, code, value);
    const feed = join(dir.path, `${id}.mllp`);
    await writeFile(feed, frame(message));
    const [ack] = await mllpSend(engine.mllpPort ?? assert.fail('a hospital has an MLLP door'), feed, false);
    checkAck(ack ?? '', message, `ORU^R01 into ${engine.org.name}`);
  }
  const codes = await Promise.all(
    [
      ['hospital-a', 'HOSPITAL-A', 'A-7001'],
      ['hospital-b', 'HOSPITAL-B', 'B-7001'],
    ].map(async ([slug = '', hospital, id]) =>
      (await c.cli(slug, ['enrol-code', '--authority', `${hospital}-MRN`, '--identifier', `${id}-MRN`])).trim(),
    ),
  );

  // her wallet in a browser on hospital A's page: the keystore file imported into that origin's storage
  const browser = await openBrowser(t, 'web-wallet-consortium');
  const page = await browser.newPage({ locale: 'en-US' });
  await page.goto(`${a.apiUrl}/wallet`);
  await page.locator('section[aria-labelledby=import-title] input[type=file]').setInputFiles(join(alice.dir, keystore));
  await page.getByTestId('import-passphrase').fill(alice.password);
  await page.getByTestId('import-submit').click();
  await page.waitForSelector('[data-testid=registration-status][data-status=registered]', { timeout: 60_000 });

  // hospital A's engine (this page's) first, then hospital B's: each by its account, named by the Directory
  const addEngine = async (apiUrl: string, account: string, said: string) => {
    await page.getByTestId('engine-url').fill(apiUrl);
    await page.getByTestId('engine-organisation').fill(account);
    await page.getByTestId('engine-add').click();
    await page.getByTestId('engine-result').getByText(said).waitFor({ timeout: 30_000 });
  };
  assert.equal(await page.getByTestId('engine-url').inputValue(), a.apiUrl, "this page's engine is offered first");
  await addEngine(a.apiUrl, a.account, 'Hospital A added. 20 one-time keys are ready there');
  // an account that is not a hospital's is refused, in words
  await addEngine(b.apiUrl, ca.account, 'not a registered hospital or pharmacy');
  await addEngine(b.apiUrl, b.account, 'Hospital B added. 20 one-time keys are ready there');
  const listed = await page.getByTestId('engine').allInnerTexts();
  assert.equal(listed.length, 2);
  assert.match(listed[0] ?? '', /^Hospital A\s+this page’s engine[\s\S]*20 one-time keys given to it alone/);
  assert.match(listed[1] ?? '', /^Hospital B\s[\s\S]*20 one-time keys given to it alone/);

  // each code redeemed at the engine of the hospital that gave it
  await redeem(page, 'Hospital A', codes[0] ?? '');
  await redeem(page, 'Hospital B', codes[1] ?? '');
  await browser.screenshot(page, 'enrolled-at-both');

  // one timeline: both results, each with its hospital by the Directory and the engine it came through
  const entries = page.getByTestId('timeline-entry');
  for (let tries = 0; (await entries.count()) < 2; tries++) {
    assert.ok(tries < 60, 'both records reach the timeline within 30 s');
    await page.waitForTimeout(500);
    await page.getByTestId('timeline-refresh').click();
    await page.waitForSelector('[data-testid=timeline][data-busy=false]', { timeout: 60_000 });
  }
  const seen = await Promise.all(
    (await entries.all()).map(async (entry) => ({
      byline: await entry.getByTestId('entry-byline').innerText(),
      via: await entry.getByTestId('entry-engine').innerText(),
      engine: await entry.getAttribute('data-engine'),
      recordId: (await entry.getAttribute('data-record-id')) ?? '',
    })),
  );
  assert.deepEqual(
    seen.map(({ byline, via, engine }) => ({ byline, via, engine })).sort((x, y) => x.byline.localeCompare(y.byline)),
    [
      { byline: 'Hospital A', via: 'via Hospital A', engine: a.apiUrl },
      { byline: 'Hospital B', via: 'via Hospital B', engine: b.apiUrl },
    ],
  );
  assert.equal(await page.getByTestId('timeline-problem').count(), 0);
  for (const entry of await entries.all()) await entry.getByTestId('entry-show').click();
  const shown = await page.getByTestId('entry-record').allInnerTexts();
  assert.ok(
    shown.some((text) => /Cholesterol[\s\S]*5\.1/.test(text)) &&
      shown.some((text) => /Triglyceride[\s\S]*1\.4/.test(text)),
    'each record opened: its results read as a person reads them',
  );
  await browser.screenshot(page, 'timeline-en');
  await page.getByTestId('language').getByText('中文').click();
  await page.getByRole('heading', { level: 2, name: '时间线' }).waitFor();
  assert.equal(await entries.first().getByTestId('entry-engine').innerText(), seen[0]?.via.replace('via', '经由'));
  await browser.screenshot(page, 'timeline-zh');

  // what came from one engine is never sent to the other: no record id in any request to the other
  for (const { recordId, engine } of seen) {
    const other = engine === a.apiUrl ? b.apiUrl : a.apiUrl;
    const leaked = browser.requests.filter(
      (request) =>
        request.url.startsWith(other) &&
        `${request.url}\n${request.body.toString('latin1')}`.toLowerCase().includes(recordId.slice(2).toLowerCase()),
    );
    assert.deepEqual(
      leaked.map((request) => `${request.method} ${request.url}`),
      [],
      `record ${recordId} went to ${other}`,
    );
  }
  assert.ok(
    browser.requests.some((request) => request.url.startsWith(`${b.apiUrl}/inbox/`)),
    'the page read hospital B’s inbox cross-origin',
  );

  // she grants hospital A's record to a doctor of hospital B through B's engine (the grantee's),
  // chosen in the grant form; the select starts at the engine that delivered the record
  const doctor = await c.person({ slug: 'dr-wang', name: 'Dr. Wang Lei', role: 'doctor', organisation: 'hospital-b' });
  const key = await runYilian(['wallet', 'grantee-key', '--dir', doctor.dir], {
    env: { ...b.env, YILIAN_WALLET_PASSWORD: doctor.password },
  });
  assert.equal(key.code, 0, key.stderr);
  const fromA = page.locator(`[data-testid=timeline-entry][data-engine="${a.apiUrl}"]`);
  await fromA.getByTestId('entry-grant').click();
  await fromA.getByTestId('grant-account').fill(doctor.account);
  await fromA.getByTestId('grant-key').fill(key.stdout.trim());
  assert.match(await fromA.getByTestId('grant-engine').innerText(), /^Hospital A \(/);
  await choose(page, fromA.getByTestId('grant-engine'), 'Hospital B');
  await fromA.getByTestId('grant-submit').click();
  await fromA.getByTestId('grant-result').getByText('已授权给 Dr. Wang Lei').waitFor({ timeout: 60_000 });
  const grants = browser.requests.filter((request) => request.method === 'POST' && request.url.endsWith('/v1/grants'));
  assert.deepEqual(
    grants.map((request) => request.url),
    [`${b.apiUrl}/v1/grants`],
    'the grant went to the grantee’s engine alone',
  );
  await browser.screenshot(page, 'granted-through-b-zh');

  // hospital B's engine away: A's record is still shown, and B's absence is said, not hidden
  await c.stopEngine('hospital-b');
  await page.getByTestId('timeline-refresh').click();
  await page.getByTestId('timeline-problem').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('timeline-problem').getAttribute('data-engine'), b.apiUrl);
  assert.match(await page.getByTestId('timeline-problem').innerText(), /暂时无法读取 Hospital B：其记录仍在那里等候。/);
  assert.deepEqual(await entries.getByTestId('entry-byline').allInnerTexts(), ['Hospital A']);
  await browser.screenshot(page, 'engine-away-zh');

  // the console's only complaint is the one the story provoked: B's engine refusing the connection
  assert.deepEqual(browser.errors, [`${a.apiUrl}/wallet: Failed to load resource: net::ERR_CONNECTION_REFUSED`]);
  t.diagnostic(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

/** Redeems one enrolment code at the engine of `hospital`, chosen among the wallet's engines. */
async function redeem(page: Page, hospital: string, code: string): Promise<void> {
  await page.getByTestId('enrol-engine').click();
  await page
    .locator('.ant-select-item-option')
    .filter({ hasText: new RegExp(`^${hospital} \\(`) })
    .click();
  await page.getByLabel('Enrolment code').fill(code);
  await page.getByTestId('enrol-submit').click();
  await page.getByTestId('enrol-result').getByText('Enrolled. 1 record that was waiting').waitFor({ timeout: 30_000 });
}

/** Chooses the engine of `hospital` in one of the page's engine selects (antd keeps closed dropdowns in the page). */
async function choose(page: Page, select: Locator, hospital: string): Promise<void> {
  await select.click();
  await page
    .locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option')
    .filter({ hasText: new RegExp(`^${hospital} \\(`) })
    .click();
}
