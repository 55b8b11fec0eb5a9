// The console in a real browser (Debian's chromium through puppeteer-core)
// against a real crdex-server started here: the clinician signs the CRD
// guide's contrast-mammography order and sees the prior-authorization card
// and the "Auth needed" badge, accepts a suggestion and sees the draft order
// change; the payer is refused without the credential, edits a rule, sees the
// dry run name the changed order, publishes, and the clinician's next
// signature gets the new decision. With a test FHIR server (tests/fhir-server)
// seeded with a patient and her coverage (from the CRD guide's example) and
// crdex started with --console-fhir-server, the clinician also finds that
// patient through crdex, signs an order for her and sees the decision crdex
// made from the coverage it fetched from the FHIR server. Any request of the
// page to a host other than crdex fails the test. Screenshots of each step go
// to --out (kept, not compared).
//
// node console_test.mjs --server PATH --rules DIR --out DIR
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
for (const needed of ['server', 'rules', 'out'])
  if (!args[needed]) {
    console.error(`usage: console_test.mjs --server PATH --rules DIR --out DIR (missing --${needed})`);
    process.exit(2);
  }

const STEP_TIMEOUT_MS = 15000;
const WATCHDOG_MS = 150000;
const PUBLISHER_TOKEN = 'console-test-publisher-token-0123456789';
const ADMIN_TOKEN = 'console-test-admin-token-0123456789abcd';
const FHIR_TOKEN = 'console-test-fhir-access-token';
const FHIR_PATIENT = 'console-fhir-1';
const TESTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

const work = mkdtempSync(path.join(tmpdir(), 'crdex-console-'));
mkdirSync(args.out, { recursive: true });
// Only this run's screenshots stay (a step that no longer runs leaves none).
for (const old of readdirSync(args.out)) if (old.endsWith('.png')) rmSync(path.join(args.out, old));
writeFileSync(path.join(work, 'publisher.token'), `${PUBLISHER_TOKEN}\n`);
writeFileSync(path.join(work, 'admin.token'), `${ADMIN_TOKEN}\n`);

let server = null;
let fhirServer = null;
let browser = null;
let currentPage = null;  // for a screenshot of a failed step
const failures = [];
const foreign = [];

async function cleanUp() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  if (fhirServer && fhirServer.exitCode === null) {
    const exited = new Promise((resolve) => fhirServer.once('exit', resolve));
    fhirServer.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (fhirServer.exitCode === null) fhirServer.kill('SIGKILL');
  }
  rmSync(work, { recursive: true, force: true });
}

const watchdog = setTimeout(async () => {
  console.error(`FAIL: the test did not finish within ${WATCHDOG_MS} ms`);
  await cleanUp();
  process.exit(1);
}, WATCHDOG_MS);

// The test FHIR server (tests/fhir-server/server.mjs) on a free port: its base URL.
function startFhirServer() {
  return new Promise((resolve, reject) => {
    fhirServer = spawn(process.execPath, [path.join(TESTS_DIR, 'fhir-server', 'server.mjs')],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    fhirServer.stderr.on('data', (d) => { err += d; });
    fhirServer.stdout.on('data', (d) => {
      out += d;
      const found = /fhir-server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (found) resolve(found[1]);
    });
    fhirServer.on('exit', (code) => reject(new Error(`the FHIR server exited (${code}) before listening: ${err}`)));
  });
}

// The CRD guide's example patient and coverage (tests/fixtures/crd-ig), as
// another patient of the EHR's FHIR server: a name and id of her own, the
// coverage pointing at her, the payer (Acme) named as the rules know it.
async function seedFhirServer(base) {
  const guide = JSON.parse(readFileSync(path.join(TESTS_DIR, 'fixtures', 'crd-ig', 'CRDServiceRequest.json'), 'utf8'));
  const patient = { ...guide.prefetch.patient, id: FHIR_PATIENT,
    name: [{ use: 'official', family: 'Moreno', given: ['Lena'] }] };
  delete patient.text;
  const coverage = { ...guide.prefetch.coverage.entry[0].resource, id: 'console-cov-1',
    beneficiary: { reference: `Patient/${FHIR_PATIENT}` },
    payor: [{ reference: 'Organization/acme-payer', display: 'Acme Health Plan' }] };
  delete coverage.text;
  const response = await fetch(`${base}/$admin/seed`, { method: 'POST',
    body: JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient }, { resource: coverage }] }) });
  if (!response.ok) throw new Error(`seeding the FHIR server answered ${response.status}`);
}

// The FHIR requests the FHIR server received: [{method, url, authorization}].
async function fhirRequestLog(base) {
  return (await fetch(`${base}/$admin/log`)).json();
}

function startServer(fhirBase) {
  return new Promise((resolve, reject) => {
    server = spawn(args.server, ['--listen', '127.0.0.1:0', '--rules', args.rules, '--data', path.join(work, 'data'),
      '--insecure-no-client-auth', '--audit-bodies', '--publisher-token', `acme-health-plan=${path.join(work, 'publisher.token')}`,
      '--admin-token-file', path.join(work, 'admin.token'), '--log-level', 'warn',
      // The test FHIR server is on loopback: the outbound guard must allow it
      // (--insecure-no-client-auth already allows loopback; named here all the same).
      '--console-fhir-server', `${fhirBase}/fhir`, '--outbound-allow-address', new URL(fhirBase).host],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    server.stderr.on('data', (d) => { err += d; });
    server.stdout.on('data', (d) => {
      out += d;
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (found) resolve(found[1]);
    });
    server.on('exit', (code) => reject(new Error(`crdex-server exited (${code}) before listening: ${err}`)));
  });
}

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  await page.screenshot({ path: path.join(args.out, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function step(name, work) {
  try {
    await work();
    console.log(`ok: ${name}`);
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
    if (currentPage) await screenshot(currentPage, 'FAILED').catch(() => {});
    console.error(`FAIL: ${name}: ${e.message}`);
    throw e;
  }
}

// The answer to the page's order-sign call.
const signed = (r) => r.url().endsWith('/cds-services/crdex-order-sign') && r.request().method() === 'POST';

// The text of an order's badges, by "Type/id".
const badgesOf = (page, key) => page.$eval(`li.order[data-order="${key}"] .badges`, (n) => n.textContent);

async function main() {
  const fhirBase = await startFhirServer();
  await seedFhirServer(fhirBase);
  const base = await startServer(fhirBase);
  const origin = new URL(base).origin;
  browser = await puppeteer.launch({
    executablePath: process.env.CRDEX_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      `--user-data-dir=${path.join(work, 'profile')}`],
    userDataDir: path.join(work, 'profile'),
    protocolTimeout: STEP_TIMEOUT_MS * 2,
  });
  const page = await browser.newPage();
  currentPage = page;
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await page.setViewport({ width: 1280, height: 900 });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return request.continue();
    if (new URL(url).origin !== origin) {
      foreign.push(url);
      return request.abort('blockedbyclient');
    }
    return request.continue();
  });
  const hookBodies = [];  // the page's hook calls, as sent
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/cds-services\/crdex-[a-z-]+$/.test(request.url()))
      hookBodies.push(JSON.parse(request.postData() || '{}'));
  });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // The 401 the refusal step provokes is expected; any other error fails.
  page.on('console', (m) => {
    // So is the 412 of the signature without a FHIR access token.
    if (m.type() === 'error' && !/status of (40[13]|412)/.test(m.text())) pageErrors.push(m.text());
  });

  await step('the console loads with its security headers', async () => {
    const response = await page.goto(`${base}/console/`, { waitUntil: 'load' });
    const csp = response.headers()['content-security-policy'] || '';
    if (!csp.includes("default-src 'self'") || !csp.includes("script-src 'self'"))
      throw new Error(`Content-Security-Policy missing or weak: "${csp}"`);
    if (!(response.headers()['content-type'] || '').startsWith('text/html')) throw new Error('index is not text/html');
    await page.waitForSelector('body[data-ehr-ready="true"]');
    await page.waitForSelector('li.order[data-order="ServiceRequest/1357"]');
    await screenshot(page, 'ehr-patient-and-draft-orders');
  });

  await step('signing the contrast mammography shows the PA card and the Auth needed badge', async () => {
    const answered = page.waitForResponse(signed);
    await page.click('#send-hook');
    const response = await answered;
    if (response.status() !== 200) throw new Error(`the hook call answered ${response.status()}`);
    await page.waitForFunction(() => [...document.querySelectorAll('.card-summary')]
      .some((n) => n.textContent.includes('Prior authorization required for contrast mammography')));
    await page.waitForFunction(() => {
      const badges = document.querySelector('li.order[data-order="ServiceRequest/1357"] .badges');
      return badges && badges.textContent.includes('Auth needed');
    });
    const badges = await badgesOf(page, 'ServiceRequest/1357');
    if (!badges.includes('Covered')) throw new Error(`badges of ServiceRequest/1357: ${badges}`);
    await screenshot(page, 'ehr-signed-cards-and-badges');
  });

  await step('accepting a suggestion changes the draft order', async () => {
    const before = await page.$eval('li.order[data-order="ServiceRequest/2468"] .order-meta', (n) => n.textContent);
    if (!before.includes('E0431')) throw new Error(`ServiceRequest/2468 before: ${before}`);
    const [button] = await page.$$('xpath/.//button[contains(@class, "suggestion") and contains(., "E0430")]');
    if (!button) throw new Error('no suggestion button for E0430');
    const feedback = page.waitForResponse((r) => r.url().endsWith('/cds-services/crdex-order-sign/feedback'));
    await button.click();
    if ((await feedback).status() !== 200) throw new Error('the feedback on the accepted card was refused');
    await page.waitForFunction(() => {
      const meta = document.querySelector('li.order[data-order="ServiceRequest/2468"] .order-meta');
      return meta && meta.textContent.includes('E0430');
    });
    await screenshot(page, 'ehr-suggestion-applied');
  });

  await step('the EHR view works on a narrow window', async () => {
    await page.setViewport({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 2) throw new Error(`the page is ${overflow}px wider than a 390px window`);
    await screenshot(page, 'ehr-narrow');
    await page.setViewport({ width: 1280, height: 900 });
  });

  await step('a draft order composed by code joins the draft orders', async () => {
    await page.select('#order-type', 'ServiceRequest');
    await page.type('#code-search', '77065');
    await page.click('#compose button[type="submit"]');
    await page.waitForFunction(() => [...document.querySelectorAll('li.order .order-meta')]
      .some((n) => n.textContent.startsWith('ServiceRequest/new-') && n.textContent.includes('77065')));
  });

  await step('booking the appointment gives it coverage badges', async () => {
    await page.select('#hook', 'appointment-book');
    const answered = page.waitForResponse((r) => r.url().endsWith('/cds-services/crdex-appointment-book'));
    await page.click('#send-hook');
    if ((await answered).status() !== 200) throw new Error('the appointment-book call failed');
    await page.waitForFunction(() => {
      const badges = document.querySelector('li.order[data-order="Appointment/example"] .badges');
      return badges && !badges.textContent.includes('No coverage information yet');
    });
    await screenshot(page, 'ehr-composed-order-and-booked-appointment');
    await page.select('#hook', 'order-sign');
  });

  await step('a patient of the FHIR server is found through crdex and signed for with fetched coverage', async () => {
    await page.waitForSelector('#fhir-patients:not([hidden])');
    const server = await page.$eval('#fhir-server-name', (n) => n.textContent);
    if (server !== `${fhirBase}/fhir`) throw new Error(`the page names the FHIR server "${server}"`);
    await page.type('#fhir-name', 'Moreno');
    const searched = page.waitForResponse((r) => r.url().includes('/console/api/patients?name=Moreno'));
    await page.click('#fhir-search button[type="submit"]');
    if ((await searched).status() !== 200) throw new Error('the patient search failed');
    await page.waitForSelector(`#patient option[value="fhir:${FHIR_PATIENT}"]`);
    await page.select('#patient', `fhir:${FHIR_PATIENT}`);
    await page.waitForFunction(() => document.getElementById('patient-facts').textContent.includes('Lena Moreno'));
    if ((await page.$$('li.order[data-order]')).length) throw new Error('the FHIR patient came with draft orders');
    await page.type('#code-search', '77061');
    await page.click('#compose button[type="submit"]');
    await page.waitForSelector('li.order[data-order^="ServiceRequest/new-"]');
    const key = await page.$eval('li.order[data-order^="ServiceRequest/new-"]', (n) => n.dataset.order);

    // Without an access token crdex cannot read the coverage: 412, shown.
    let answered = page.waitForResponse(signed);
    await page.click('#send-hook');
    if ((await answered).status() !== 412) throw new Error('signing without a FHIR access token did not answer 412');
    await page.waitForFunction(() => document.getElementById('hook-status').textContent.includes('412'));

    // With the clinician's token, crdex fetches the coverage and decides.
    await page.type('#fhir-token', FHIR_TOKEN);
    const again = page.waitForResponse((r) => r.url().includes('/console/api/patients?name=Moreno'));
    await page.click('#fhir-search button[type="submit"]');
    await again;
    answered = page.waitForResponse(signed);
    await page.click('#send-hook');
    const response = await answered;
    if (response.status() !== 200) throw new Error(`the hook call answered ${response.status()}`);
    await page.waitForFunction(() => [...document.querySelectorAll('.card-summary')]
      .some((n) => n.textContent.includes('Prior authorization required for contrast mammography')));
    await page.waitForFunction((k) => {
      const badges = document.querySelector(`li.order[data-order="${k}"] .badges`);
      return badges && badges.textContent.includes('Auth needed');
    }, {}, key);
    await screenshot(page, 'ehr-fhir-server-patient-signed');

    const sent = hookBodies[hookBodies.length - 1];
    if (sent.fhirServer !== `${fhirBase}/fhir` || sent.context.patientId !== FHIR_PATIENT || sent.prefetch !== undefined
        || !sent.fhirAuthorization || sent.fhirAuthorization.access_token !== FHIR_TOKEN)
      throw new Error(`the hook call sent: ${JSON.stringify({ ...sent, fhirAuthorization: undefined }).slice(0, 400)}`);
    const log = await fhirRequestLog(fhirBase);
    const coverageReads = log.filter((e) => e.url.startsWith(`/fhir/Coverage?patient=${FHIR_PATIENT}`));
    if (!coverageReads.some((e) => e.authorization === `Bearer ${FHIR_TOKEN}`))
      throw new Error(`crdex did not read the coverage with the clinician's token: ${JSON.stringify(log.map((e) => e.url))}`);
    const searches = log.filter((e) => e.url.startsWith('/fhir/Patient?') && e.url.includes('name=Moreno'));
    if (!searches.some((e) => e.authorization === `Bearer ${FHIR_TOKEN}`))
      throw new Error(`crdex did not search the FHIR server with the clinician's token: ${JSON.stringify(searches.map((e) => e.url))}`);

    // Back to the example patient for the payer's steps.
    await page.select('#patient', 'example:123');
    await page.waitForSelector('li.order[data-order="ServiceRequest/1357"]');
  });

  await step('the payer view is refused without the credential', async () => {
    await page.focus('#tab-ehr');  // the tabs work from the keyboard
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#view-payer:not([hidden])');
    if (!(await page.$eval('#view-ehr', (n) => n.hidden))) throw new Error('the arrow key did not switch views');
    await page.click('#credentials button[type="submit"]');
    await page.waitForSelector('#payer-error:not([hidden])');
    const text = await page.$eval('#payer-error', (n) => n.textContent);
    if (!text.includes('401')) throw new Error(`refusal shown: ${text}`);
    if (!(await page.$eval('#payer-content', (n) => n.hidden))) throw new Error('rules shown without a credential');
    await screenshot(page, 'payer-refused');
  });

  await step('the payer edits a rule and the dry run names the changed order', async () => {
    await page.type('#publisher-token', PUBLISHER_TOKEN);
    await page.type('#admin-token', ADMIN_TOKEN);
    await page.click('#credentials button[type="submit"]');
    await page.waitForSelector('#payer-content:not([hidden]) #versions tbody tr');
    if (await page.$eval('#payer-error', (n) => !n.hidden)) throw new Error('the error stayed after a good token');
    await page.waitForSelector('#audit-table');
    await page.waitForSelector('#feedback svg.chart');  // the accepted suggestion's card, per rule
    await page.$eval('#rules-editor', (area) => {
      const rules = JSON.parse(area.value);
      const rule = rules.rules.find((r) => r.id === 'mammography-contrast-pa');
      rule.then['pa-needed'] = 'no-auth';
      delete rule.then['doc-needed'];
      delete rule.then['doc-purpose'];
      delete rule.then.questionnaire;  // a questionnaire needs doc-needed (crd-ci-q1)
      rule.then.card.summary = 'Contrast mammography: no prior authorization needed';
      // Markdown renders; markup in a rule stays text (nothing is parsed as HTML).
      rule.then.card.detail = 'No **prior authorization** needed. <img src="x" class="injected">';
      area.value = JSON.stringify(rules, null, 2);
      area.dispatchEvent(new Event('input'));
    });
    await page.click('#dry-run');
    await page.waitForSelector('#dry-run-table, #editor-status.error, #dry-run-result .empty');
    if (!(await page.$('#dry-run-table')))
      throw new Error(`no changed decision shown: ${await page.$eval('#editor-status', (n) => n.textContent)}`);
    const table = await page.$eval('#dry-run-table', (n) => n.textContent);
    if (!table.includes('ServiceRequest/1357'))
      throw new Error(`the dry run does not name ServiceRequest/1357: ${table}`);
    await screenshot(page, 'payer-dry-run');
  });

  await step('the payer publishes with a confirmation and compares the versions', async () => {
    await page.type('#publish-comment', 'contrast mammography without PA');
    await page.click('#publish');
    await page.waitForSelector('dialog#confirm[open]');
    await screenshot(page, 'payer-publish-confirmation');
    await page.click('#confirm-ok');
    await page.waitForFunction(
      () => document.getElementById('editor-status').textContent.includes('Published version 2'));
    await page.waitForSelector('#versions tbody tr[data-version="2"]');
    await page.click('#show-diff');
    await page.waitForSelector('#diff .diff-changed');
    await screenshot(page, 'payer-published-and-diff');
  });

  await step('signing again gets the new decision', async () => {
    await page.click('#tab-ehr');
    const answered = page.waitForResponse(signed);
    await page.click('#send-hook');
    await answered;
    await page.waitForFunction(() => {
      const badges = document.querySelector('li.order[data-order="ServiceRequest/1357"] .badges');
      return badges && badges.textContent.includes('No auth needed');
    });
    const summaries = await page.$$eval('.card-summary', (ns) => ns.map((n) => n.textContent).join(' | '));
    if (summaries.includes('Prior authorization required for contrast mammography'))
      throw new Error(`the old prior-authorization card is still shown: ${summaries}`);
    const card = '.card:has(.card-summary)';
    const detail = await page.$$eval(card, (cards) => {
      const changed = cards.find((c) => c.textContent.includes('no prior authorization needed'));
      return changed && { bold: (changed.querySelector('.markdown strong') || {}).textContent,
        text: changed.querySelector('.markdown').textContent, images: changed.querySelectorAll('img').length };
    });
    if (!detail || detail.bold !== 'prior authorization' || !detail.text.includes('<img src="x"') || detail.images)
      throw new Error(`the card detail is not rendered safely: ${JSON.stringify(detail)}`);
    await screenshot(page, 'ehr-signed-after-publish');
  });

  if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join(' ; ')}`);
}

let code = 0;
try {
  await main();
} catch (e) {
  if (!failures.length) console.error(`FAIL: ${e.stack || e.message}`);
  code = 1;
}
if (foreign.length) {
  console.error(`FAIL: the console requested hosts other than crdex: ${foreign.join(', ')}`);
  code = 1;
}
await cleanUp();
clearTimeout(watchdog);
console.log(code === 0 ? `console browser test passed; screenshots in ${args.out}` : 'console browser test FAILED');
process.exit(code);
