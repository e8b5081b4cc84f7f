import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceResult, Prediction } from '../../src/contract/index.ts';
import { FAKE_CLASSES, FAKE_MODEL_VERSION, gramStainPhoto } from './fakes.ts';
import { launchBrowser, logIn, openPage, openProfile, PHONE, screenshot, smallTapTargets, startApp, waitForServiceWorker, type App, type TestPage } from './harness.ts';

/** What the on-device model would answer (its engine lands with the other half of issue 19): the server's result shape. */
const DEVICE_RESULT: DeviceResult = { modelVersion: FAKE_MODEL_VERSION, classes: FAKE_CLASSES, top: FAKE_CLASSES[0], uncertain: false };

/** Queues a prediction made "on the device" through the page's offline API, with a small photo; resolves with its idempotency key. */
function queueDevicePrediction(page: Page, modelId: number, photoBase64: string, caseId: string): Promise<string> {
  return page.evaluate(
    async ({ modelId, photoBase64, caseId, result }) => {
      const photo = new Blob([Uint8Array.from(atob(photoBase64), (c) => c.charCodeAt(0))], { type: 'image/png' });
      return window.gramlensOffline.queueDevicePrediction({ modelId, result, specimenType: 'Blood culture', caseId, photo });
    },
    { modelId, photoBase64, caseId, result: DEVICE_RESULT },
  );
}

const queued = (page: Page) => page.evaluate(async () => (await window.gramlensOffline.queuedItems()).map((item) => ({ kind: item.kind, key: item.key })));

describe('offline and installable (issue 19)', () => {
  let app: App;
  let browser: Browser;
  let modelId: number;
  let smallPhoto: string;
  const profiles: string[] = [];

  /** The audit trail's device predictions of a user, as the server holds them. */
  const devicePredictions = async (username: string) => (await app.api<Prediction[]>('admin', 'GET', '/api/predictions?limit=500')).filter((p) => p.onDevice !== null && p.user.username === username);

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp([
        { username: 'dr.ada', role: 'clinician' },
        { username: 'dr.bo', role: 'clinician' },
      ]),
      launchBrowser(),
    ]);
    const bundle = mkdtempSync(join(tmpdir(), 'gramlens-e2e-bundle-'));
    profiles.push(bundle);
    modelId = (await app.api<{ id: number }>('admin', 'POST', '/api/models', { path: bundle, name: 'Ward model', version: 'run-1' })).id;
    await app.api('admin', 'POST', `/api/models/${modelId}/activate`);
    smallPhoto = (await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 120, g: 60, b: 160 } } }).png().toBuffer()).toString('base64');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  });

  it('has a valid web app manifest whose icons load at their stated sizes', async () => {
    const { page, context, problems } = await openPage(browser, PHONE, app);
    const href = await page.locator('link[rel=manifest]').getAttribute('href');
    expect(await page.locator('meta[name=theme-color]').getAttribute('content')).toBe('#4b2a7b');
    const response = await page.request.get(href!);
    expect(response.headers()['content-type']).toMatch(/^application\/manifest\+json/);
    const manifest = (await response.json()) as { name: string; short_name: string; start_url: string; scope: string; display: string; theme_color: string; background_color: string; icons: { src: string; sizes: string; type: string; purpose: string }[] };
    expect(manifest).toMatchObject({ short_name: 'gramlens', start_url: '/#/clinic', scope: '/', display: 'standalone', theme_color: '#4b2a7b', background_color: '#ffffff' });
    expect(manifest.name.length).toBeGreaterThan(0);
    const pngSizes = manifest.icons.filter((icon) => icon.type === 'image/png').map((icon) => icon.sizes);
    expect(pngSizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(manifest.icons.some((icon) => icon.purpose === 'maskable')).toBe(true);
    for (const icon of manifest.icons) {
      const file = await page.request.get(icon.src);
      expect(file.status(), icon.src).toBe(200);
      expect(file.headers()['content-type'], icon.src).toContain(icon.type);
      if (icon.type !== 'image/png') continue;
      const { width, height } = await sharp(await file.body()).metadata();
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  let phone: TestPage;

  it('controls the page with its service worker after one online visit, and opens the clinician’s screen offline', async () => {
    phone = await openPage(browser, PHONE, app);
    const { page, context } = phone;
    await logIn(page, 'dr.ada');
    await waitForServiceWorker(page);
    await page.getByText('Online.').waitFor();
    await page.getByText("This device holds no model for offline use.", { exact: false }).waitFor();

    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'Classify a Gram stain' }).waitFor();
    await page.getByText('Offline: what you do is kept on this device', { exact: false }).waitFor();
    expect(await page.locator('input[type=file][capture=environment]').getAttribute('accept')).toBe('image/*');
    // No network is not an error to alarm anyone with: the status says it.
    expect(await page.getByRole('alert').count()).toBe(0);
    // One-handed at 390 × 844: every control at least 44 px, nothing scrolls sideways.
    expect(await smallTapTargets(page)).toEqual([]);
    await screenshot(page, 'clinic-offline-phone');
    // The shell came from the service worker's cache: its styles applied, its script ran.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.offline-status')!).borderRadius)).not.toBe('0px');
    await context.setOffline(false);
  });

  it('keeps a model’s files in a cache named by its version, and says whether it is the server’s current one', async () => {
    const { page } = phone;
    await page.reload();
    await page.getByText('Online.').waitFor();
    const active = await app.api<{ id: number; name: string; version: string; modelVersion: string }>('dr.ada', 'GET', '/api/models/active/version');
    expect(active).toEqual({ id: modelId, name: 'Ward model', version: 'run-1', modelVersion: FAKE_MODEL_VERSION });
    // The fake model has no files to run on a device: a model route's answer stands in for them here. Nothing outside /api/models/ and /ort/ is kept.
    await expect(page.evaluate((model) => window.gramlensOffline.cacheModelFiles(model, ['/api/predictions']), active)).rejects.toThrow(/only files under/);
    const keep = (model: typeof active) => page.evaluate((model) => window.gramlensOffline.cacheModelFiles(model, ['/api/models/active/version']), model);
    await keep({ ...active, modelVersion: 'fake-gram-0' });
    await page.reload();
    // The screen replaces an outdated model by itself, with the files the page's own loader names: the fake model has none to run on a device.
    await page.locator('.offline-model', { hasText: 'the server has no model that can run on the device' }).waitFor();
    expect((await page.evaluate(() => window.gramlensOffline.heldModelVersion()))?.modelVersion).toBe('fake-gram-0');
    // With files it can fetch (a model route's answer and the runtime's file list stand in for a model's), it does.
    await page.evaluate(() => window.gramlensOffline.provideModelFiles(async () => ({ urls: ['/api/models/active/version'], runtimeUrls: ['/ort/files.json'] })));
    await page.evaluate(() => (location.hash = '#/nowhere'));
    await page.getByText("This device holds the server's current model, Ward model run-1.").waitFor();
    expect(await page.evaluate(() => window.gramlensOffline.heldModelVersion())).toEqual(active);
    const modelCaches = () => page.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith('gramlens-model-')));
    expect(await modelCaches()).toEqual([`gramlens-model-${modelId}-${FAKE_MODEL_VERSION}`]);
    expect(await page.evaluate(async () => (await caches.open('gramlens-runtime')).keys().then((keys) => keys.map((request) => new URL(request.url).pathname)))).toEqual(['/ort/files.json']);
    await page.reload();
    await page.getByText("This device holds the server's current model, Ward model run-1.").waitFor();
  });

  it('keeps a verdict given offline and sends it once when the network is back', async () => {
    const { page, context } = phone;
    await page.reload();
    await page.getByText('Online.').waitFor();
    await page.locator('input[type=file][capture=environment]').setInputFiles({ name: 'field.jpg', mimeType: 'image/jpeg', buffer: await gramStainPhoto('gpc_clusters', 3) });
    await page.getByLabel('Specimen type').selectOption('Blood culture');
    await page.getByRole('button', { name: 'Analyse photo' }).click();
    await page.locator('article.prediction').waitFor();
    const [prediction] = await app.api<Prediction[]>('dr.ada', 'GET', '/api/predictions?limit=1');

    await context.setOffline(true);
    await page.getByRole('button', { name: 'Agree' }).click();
    await page.getByText('No network: your verdict is kept on this device', { exact: false }).waitFor();
    await page.getByText('1 item kept on this device.', { exact: false }).waitFor();
    expect((await app.api<Prediction>('dr.ada', 'GET', `/api/predictions/${prediction.id}`)).feedbackHistory).toEqual([]);

    await context.setOffline(false);
    await expect.poll(async () => (await app.api<Prediction>('dr.ada', 'GET', `/api/predictions/${prediction.id}`)).feedbackHistory.length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => queued(page)).toEqual([]);
    // A later sync (a reload logs the same user in again) adds nothing.
    await page.reload();
    await page.getByText('Online.').waitFor();
    await page.evaluate(() => window.gramlensOffline.syncOutbox({ force: true }));
    const after = await app.api<Prediction>('dr.ada', 'GET', `/api/predictions/${prediction.id}`);
    expect(after.feedbackHistory.map((f) => [f.verdict, f.user.username, typeof f.madeAt])).toEqual([['agree', 'dr.ada', 'string']]);
    await phone.context.close();
  });

  it('loses and doubles nothing when the phone is closed with items queued and opened offline, then online', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'gramlens-e2e-profile-'));
    profiles.push(profile);
    mkdirSync(profile, { recursive: true });
    const open = (offline: boolean) => openProfile(profile, app, { ...PHONE, offline });

    let { context, page } = await open(false);
    await logIn(page, 'dr.ada');
    await waitForServiceWorker(page);
    await context.setOffline(true);
    const first = await queueDevicePrediction(page, modelId, smallPhoto, 'ward 3, bed 1');
    const second = await queueDevicePrediction(page, modelId, smallPhoto, 'ward 3, bed 2');
    await page.evaluate((key) => window.gramlensOffline.queueVerdict({ prediction: { idempotencyKey: key }, verdict: 'correct', label: 'gnr' }), first);
    expect((await queued(page)).map((item) => item.kind)).toEqual(['prediction', 'prediction', 'verdict']);
    await context.close();

    ({ context, page } = await open(true));
    await page.getByRole('heading', { name: 'Classify a Gram stain' }).waitFor();
    await page.getByText('3 items kept on this device.', { exact: false }).waitFor();
    expect(await devicePredictions('dr.ada')).toEqual([]);

    await context.setOffline(false);
    await expect.poll(async () => (await devicePredictions('dr.ada')).length, { timeout: 20_000 }).toBe(2);
    await expect.poll(() => queued(page), { timeout: 20_000 }).toEqual([]);
    await page.evaluate(() => window.gramlensOffline.syncOutbox({ force: true }));
    const recorded = await devicePredictions('dr.ada');
    expect(recorded.map((p) => p.onDevice!.idempotencyKey).sort()).toEqual([first, second].sort());
    expect(recorded.map((p) => p.caseId).sort()).toEqual(['ward 3, bed 1', 'ward 3, bed 2']);
    const corrected = recorded.find((p) => p.onDevice!.idempotencyKey === first)!;
    expect(corrected.feedbackHistory.map((f) => [f.verdict, f.label])).toEqual([['correct', 'gnr']]);
    expect(corrected).toMatchObject({ modelId, modelVersion: FAKE_MODEL_VERSION, top: FAKE_CLASSES[0] });
    expect(Date.parse(corrected.onDevice!.madeAt)).toBeLessThan(Date.parse(corrected.createdAt));
    await context.close();
  });

  it('shows no user another user’s queued items on a shared phone, and sends them when their owner logs in again', async () => {
    const { page, context } = await openPage(browser, PHONE, app);
    await logIn(page, 'dr.ada');
    await waitForServiceWorker(page);
    await context.setOffline(true);
    const key = await queueDevicePrediction(page, modelId, smallPhoto, 'ada’s patient');
    await page.getByText('1 item kept on this device.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').waitFor();

    await context.setOffline(false);
    await logIn(page, 'dr.bo');
    await page.getByText('Online.').waitFor();
    expect(await queued(page)).toEqual([]);
    expect(await page.locator('.offline-status').textContent()).not.toMatch(/item/);
    expect(await page.locator('body').textContent()).not.toContain('ada’s patient');
    // Bo's session sent nothing of Ada's.
    expect((await devicePredictions('dr.ada')).filter((p) => p.onDevice!.idempotencyKey === key)).toEqual([]);

    await page.getByRole('button', { name: 'Log out' }).click();
    await logIn(page, 'dr.ada');
    await expect.poll(async () => (await devicePredictions('dr.ada')).filter((p) => p.onDevice!.idempotencyKey === key).length, { timeout: 20_000 }).toBe(1);
    expect((await devicePredictions('dr.bo')).length).toBe(0);
    await context.close();
  });
});
