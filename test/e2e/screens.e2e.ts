import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model, Project, TestSummary } from '../../src/contract/index.ts';
import { gramStainPhoto, gramStainTile, twelveMegapixelPhoto } from './fakes.ts';
import { DESKTOP, launchBrowser, logIn, openPage, PASSWORD, PHONE, screenshot, smallTapTargets, startApp, undocumentedApiCalls, type App, type TestPage } from './harness.ts';

/** What a run on 10 decided images records: no figures, and an operating point that missed its target. */
const SMALL_RUN: TestSummary = {
  images: 10,
  patients: 5,
  tooFew: 'only 10 test images of 5 patients: at least 30 are needed for a figure',
  accuracy: null,
  balancedAccuracy: null,
  macroF1: null,
  macroAuc: null,
  expectedCalibrationError: null,
  brierScore: null,
  intervals: {},
  operatingPoints: [
    { class: 'yeast', threshold: 0.2, targetSensitivity: 0.95, sensitivity: 0.75, ci95: [0.301, 0.954], positives: 4, verdict: 'missed' },
    { class: 'gnr', threshold: 0.3, targetSensitivity: 0.9, sensitivity: 1, ci95: [0.566, 1], positives: 5, verdict: 'met' },
  ],
};

const UPLOAD_LIMIT_BYTES = 1.5e6;

/** At 390 px: nothing scrolls sideways and every tap target is at least 44 px; a full-page screenshot. */
async function checkPhoneScreen(page: Page, name: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${name} scrolls sideways`).toBe(true);
  expect(await smallTapTargets(page), name).toEqual([]);
  await screenshot(page, `${name}-phone`);
}

/** Whether the element's box is at least partly inside the viewport. */
function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((element) => {
    const box = element.getBoundingClientRect();
    return box.height > 0 && box.bottom > 0 && box.top < window.innerHeight;
  });
}

describe('the clinician’s and the admin’s screens (issue 17)', () => {
  let app: App;
  let browser: Browser;
  let bundleDir: string;
  let study: Project;

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp([
        { username: 'dr.lin', role: 'clinician' },
        { username: 'ann', role: 'annotator' },
      ]),
      launchBrowser(),
    ]);
    // The active model reads photos at 6 px/µm.
    bundleDir = mkdtempSync(join(tmpdir(), 'gramlens-e2e-bundle-'));
    mkdirSync(join(bundleDir, 'model'));
    writeFileSync(join(bundleDir, 'model', 'metadata.json'), JSON.stringify({ input: { width: 64, height: 64, channels: 3, pxPerUm: 6 } }));
    const model = await app.api<Model>('admin', 'POST', '/api/models', { path: join(bundleDir, 'model'), name: 'gram-field', version: '2026-12-06T19:32:52.501Z' });
    await app.api('admin', 'POST', `/api/models/${model.id}/activate`);

    study = await app.api<Project>('admin', 'POST', '/api/projects', { name: 'Small study', classTree: [{ name: 'gpc_clusters' }, { name: 'gnr' }], labelsRequired: 1 });
    for (const [i, label] of ['gpc_clusters', 'gnr', 'gpc_clusters', 'gnr'].entries()) {
      const sha = await app.addImage(study.id, await gramStainTile(label as 'gnr', 400 + i), `small-${i}.png`);
      await app.api('ann', 'POST', `/api/projects/${study.id}/annotations`, { image: sha, label });
    }
    app.trainer.metrics = { test: SMALL_RUN };
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  describe('clinician on a phone', () => {
    let phone: TestPage;
    let page: Page;

    beforeAll(async () => {
      phone = await openPage(browser, PHONE, app);
      page = phone.page;
      await logIn(page, 'dr.lin');
    });

    const analyse = async (photo: Buffer, name: string) => {
      await page.locator('input[type=file]:not([capture])').setInputFiles({ name, mimeType: 'image/jpeg', buffer: photo });
      await page.getByLabel('Specimen type').selectOption('Blood culture');
      await page.getByRole('button', { name: 'Analyse photo' }).click();
    };

    it('shows progress in view at once, clears the old result, and sends a 12-megapixel photo shrunk to the model’s scale', async () => {
      await analyse(await gramStainPhoto('gpc_clusters', 31), 'first.jpg');
      await page.locator('article.prediction').waitFor();
      await checkPhoneScreen(page, 'issue17-clinic-result');

      await page.getByLabel(/^Whole microscope field/).check();
      await page.getByLabel('Photo scale, pixels per µm (optional)').fill('15');
      app.predictor.fieldQualityOk = true;
      app.predictor.delayMs = 2500;
      // Bytes of each photo upload's body as the browser sent it (its content-length).
      const uploads = () => app.posted.filter((post) => /^\/api\/predict(\/field)?$/.test(post.path)).map((post) => post.bytes);
      const before = uploads().length;
      const photo = await twelveMegapixelPhoto('gnr', 5);
      expect(photo.length).toBeGreaterThan(2.5e6);
      await analyse(photo, 'IMG_4032.jpg');

      // At once: the previous result is gone and the progress shows where the phone is looking.
      expect(await page.locator('article.prediction').count()).toBe(0);
      const waiting = page.locator('.waiting');
      await waiting.waitFor();
      expect(await inViewport(page, '.waiting')).toBe(true);
      expect(await waiting.textContent()).toMatch(/^(Preparing the photo…|Uploading… \d+%|Analysing…)\d+ s$/);
      await expect.poll(() => waiting.locator('.waiting-step').textContent()).toBe('Analysing…');
      await screenshot(page, 'issue17-clinic-waiting-phone');

      const result = page.locator('article.prediction');
      await result.waitFor();
      app.predictor.delayMs = 0;
      expect(await inViewport(page, 'article.prediction')).toBe(true);

      // 12 MP at 15 px/µm for a model at 6 px/µm: shrunk to 9 px/µm (0.6x, 2400 x 1800), its scale sent alike.
      const [fieldUpload] = uploads().slice(before);
      expect(fieldUpload).toBeGreaterThan(100_000);
      expect(fieldUpload).toBeLessThanOrEqual(UPLOAD_LIMIT_BYTES);
      const received = await sharp(app.predictor.received.at(-1)!).metadata();
      expect([received.width, received.height]).toEqual([2400, 1800]);
      expect(app.predictor.fieldCalls.at(-1)!.pxPerUm).toBeCloseTo(9, 6);

      // Without the photo's scale: the long side down to 2048 px.
      await page.getByLabel(/^Whole microscope field/).uncheck();
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/predict');
      await analyse(photo, 'IMG_4033.jpg');
      await answered;
      await page.locator('article.prediction').waitFor();
      const [, unscaledUpload] = uploads().slice(before);
      expect(unscaledUpload).toBeGreaterThan(100_000);
      expect(unscaledUpload).toBeLessThanOrEqual(UPLOAD_LIMIT_BYTES);
      const unscaled = await sharp(app.predictor.received.at(-1)!).metadata();
      expect([unscaled.width, unscaled.height]).toEqual([2048, 1536]);
      await page.getByLabel(/^Whole microscope field/).check();
      expect(phone.problems).toEqual([]);
    });

    it('shows the field answer, a collapsed label tree and a readable model name', async () => {
      await page.locator('.history-item').nth(1).click();
      const result = page.locator('article.prediction');
      await result.locator('[data-fact=morphotypes]').waitFor();
      // Gram-negative cocci has one class: the diplococci stand alone, no group row above them.
      expect(await result.locator('li.prob-group[data-class=GNC]').count()).toBe(0);
      expect(await result.locator('li.prob-group[data-class=GPR]').count()).toBe(0);
      expect(await result.locator('li.prob[data-class=gnc] .prob-name').textContent()).toBe('Gram-negative diplococci');
      expect(await result.locator('li.prob-group[data-class=GPC]').count()).toBe(1);
      expect(await result.locator('.meta').textContent()).toMatch(/model gram-field · \w/);
      expect(await result.locator('.meta').textContent()).not.toContain('2026-12-06T19:32');
      await checkPhoneScreen(page, 'issue17-clinic-field-result');
    });

    it('offers no "Agree" on an "uncertain: refer" result, only the laboratory’s result', async () => {
      await page.getByLabel(/^Whole microscope field/).uncheck();
      app.predictor.uncertain = true;
      await analyse(await gramStainPhoto('gnr', 32), 'uncertain.jpg');
      const result = page.locator('article.prediction.prediction-uncertain');
      await result.waitFor();
      app.predictor.uncertain = false;
      expect(await result.getByRole('button', { name: 'Agree' }).count()).toBe(0);
      await result.getByRole('button', { name: 'Enter the lab result…' }).click();
      // The lab may confirm the model's own top class.
      await result.getByLabel('The laboratory’s result').selectOption({ label: 'Gram-positive cocci in clusters' });
      await result.getByRole('button', { name: 'Save the result' }).click();
      await result.getByText('Thank you: the laboratory’s result, Gram-positive cocci in clusters, is recorded.').waitFor();
      expect(await result.locator('.feedback-state').textContent()).toBe('You recorded the laboratory’s result: Gram-positive cocci in clusters. You can still change it.');
      expect(await page.locator('.history-item').first().textContent()).toContain('lab result: Gram-positive cocci in clusters');
      await checkPhoneScreen(page, 'issue17-clinic-uncertain');
      expect(phone.problems).toEqual([]);
    });

    it('lays the clinic out on the desktop', async () => {
      const desktop = await openPage(browser, DESKTOP, app);
      await logIn(desktop.page, 'dr.lin');
      await desktop.page.locator('.history-item').first().click();
      await desktop.page.locator('article.prediction').waitFor();
      await screenshot(desktop.page, 'issue17-clinic-uncertain-desktop');
      // Newest first: the uncertain result, the 12-megapixel photo without its scale, then the whole field.
      await desktop.page.locator('.history-item').nth(2).click();
      await desktop.page.locator('article.prediction [data-fact=morphotypes]').waitFor();
      await screenshot(desktop.page, 'issue17-clinic-field-result-desktop');

      app.predictor.delayMs = 2000;
      await desktop.page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'desk.jpg', mimeType: 'image/jpeg', buffer: await gramStainPhoto('gnr', 33) });
      await desktop.page.getByLabel('Specimen type').selectOption('Urine');
      await desktop.page.getByRole('button', { name: 'Analyse photo' }).click();
      await desktop.page.locator('.waiting').waitFor();
      expect(await desktop.page.locator('article.prediction').count()).toBe(0);
      await screenshot(desktop.page, 'issue17-clinic-waiting-desktop');
      await desktop.page.locator('article.prediction').waitFor();
      app.predictor.delayMs = 0;

      // A large photo already compressed hard: shrunk and re-encoded it would grow, so it goes as it is.
      const compressed = await sharp(await gramStainPhoto('gnr', 34)).resize(3000, 2250).jpeg({ quality: 5 }).toBuffer();
      await desktop.page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'small.jpg', mimeType: 'image/jpeg', buffer: compressed });
      await desktop.page.getByLabel('Specimen type').selectOption('Urine');
      await desktop.page.getByRole('button', { name: 'Analyse photo' }).click();
      await desktop.page.locator('article.prediction').waitFor();
      // The body sent: the photo as it was, plus the form's other parts (under 1 kB).
      const sent = app.posted.filter((post) => post.path === '/api/predict').at(-1)!.bytes;
      expect(sent - compressed.length).toBeGreaterThan(0);
      expect(sent - compressed.length).toBeLessThan(1000);
      expect(desktop.problems).toEqual([]);
      await desktop.context.close();
    });
  });

  describe('admin', () => {
    const pages: { name: string; path: string; ready: string }[] = [
      { name: 'users', path: 'users', ready: 'tbody tr' },
      { name: 'training', path: 'training', ready: 'li.run' },
      { name: 'models', path: 'models', ready: 'tr[data-model-id]' },
      { name: 'audit', path: 'audit', ready: 'tbody tr td' },
    ];

    it('resets a user’s password from the Users page', async () => {
      const { page, problems, context } = await openPage(browser, PHONE, app);
      await logIn(page, 'admin');
      const row = page.getByRole('row', { name: /dr\.lin/ });
      await row.getByRole('button', { name: 'Reset password…' }).click();
      await row.getByLabel('New password for dr.lin').fill('a fresh password 2');
      await checkPhoneScreen(page, 'issue17-admin-users-reset');
      await row.getByRole('button', { name: 'Set password', exact: true }).click();
      await page.getByText('dr.lin has a new password (their sessions ended): tell it to them in person.').waitFor();
      const login = (password: string) =>
        fetch(`${app.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dr.lin', password }) });
      expect((await login(PASSWORD)).status).toBe(401);
      expect((await login('a fresh password 2')).status).toBe(200);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('ends a run on a tiny test set with its final state and no figures, flags a missed operating point, and links the report', async () => {
      const { page, problems, context } = await openPage(browser, DESKTOP, app);
      await logIn(page, 'admin');
      await page.goto('/#/admin/training');
      await page.getByLabel('Project').selectOption({ label: 'Small study' });
      await page.getByRole('button', { name: 'Start training' }).click();
      const run = page.locator('li.run').first();
      await expect.poll(() => run.getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
      await run.locator('.test-too-few').waitFor();
      expect(await run.locator('.run-line').textContent()).toMatch(/^Completed in \d+ s\. Registered as Small study · run 1\.$/);
      expect(await run.locator('progress').count()).toBe(0);
      expect(await run.textContent()).not.toMatch(/stage|epoch \d of/);
      expect(await run.locator('.test-too-few').textContent()).toBe(`No test figures: ${SMALL_RUN.tooFew}.`);
      expect(await run.locator('[data-class=yeast]').getAttribute('data-verdict')).toBe('missed');
      expect(await run.locator('[data-class=yeast]').textContent()).toContain('misses its target');
      await screenshot(page, 'issue17-admin-training-desktop');

      await page.goto('/#/admin/models');
      const row = page.locator('tr[data-model-id]').filter({ hasText: 'Small study · run 1' });
      await row.waitFor();
      expect(await row.locator('[data-class=yeast]').textContent()).toBe('yeast: target 95%, sensitivity 75% (95% CI 30%–95%, 4 images) misses its target');
      expect(await row.locator('[data-class=gnr] .tag').count()).toBe(0);
      const active = page.locator('tr[data-model-id].row-active');
      expect(await active.locator('.model-title').textContent()).toMatch(/^gram-field · \w/);
      const report = row.getByRole('link', { name: 'Evaluation report' });
      const href = (await report.getAttribute('href'))!;
      const response = await page.request.get(href);
      expect(response.status()).toBe(200);
      expect(await response.text()).toContain(`Project ${study.id}: held-out test set`);
      await screenshot(page, 'issue17-admin-models-desktop');
      expect(problems).toEqual([]);
      await context.close();
    });

    it('shows a whole field in the audit log with its own evidence, not a tile probability', async () => {
      const { page, problems, context } = await openPage(browser, DESKTOP, app);
      await logIn(page, 'admin');
      await page.goto('/#/admin/audit');
      const row = page.locator('tbody tr').filter({ hasText: 'Whole field' }).first();
      await row.waitFor();
      expect(await row.locator('td').nth(3).textContent()).toBe('Whole field: Polymicrobial (Gram-positive cocci in clusters + Gram-negative rods)');
      const lab = page.locator('tbody tr').filter({ hasText: 'lab result' }).first();
      expect(await lab.locator('td').nth(5).textContent()).toBe('lab result: Gram-positive cocci in clusters');
      const csv = await (await page.request.get('/api/audit.csv')).text();
      expect(csv).toContain('gpc_clusters: 14 of 16 tiles confident; gnr: 6 of 7 tiles confident');
      await screenshot(page, 'issue17-admin-audit-desktop');
      expect(problems).toEqual([]);
      await context.close();
    });

    it('lays out every admin page touched on a phone (no sideways scroll, 44 px tap targets) and on the desktop', async () => {
      const phone = await openPage(browser, PHONE, app);
      const desktop = await openPage(browser, DESKTOP, app);
      await Promise.all([logIn(phone.page, 'admin'), logIn(desktop.page, 'admin')]);
      for (const { name, path, ready } of pages) {
        await phone.page.goto(`/#/admin/${path}`);
        await phone.page.locator(ready).first().waitFor();
        await checkPhoneScreen(phone.page, `issue17-admin-${name}`);
        await desktop.page.goto(`/#/admin/${path}`);
        await desktop.page.locator(ready).first().waitFor();
        await screenshot(desktop.page, `issue17-admin-${name}-desktop`);
      }
      expect(phone.problems).toEqual([]);
      expect(desktop.problems).toEqual([]);
      await Promise.all([phone.context.close(), desktop.context.close()]);
    });

    it('calls only API routes the server documents', async () => {
      expect(await undocumentedApiCalls(app)).toEqual([]);
    });
  });
});
