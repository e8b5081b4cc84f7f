import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceModel, DeviceVerdictSync, FieldAnswer, Prediction } from '../../src/contract/index.ts';
import { BundlePredictor } from '../../src/inference/index.ts';
import { generateField } from '../../src/synth/index.ts';
import { launchBrowser, logIn, openPage, openProfile, PHONE, screenshot, startApp, undocumentedApiCalls, waitForServiceWorker, type App } from './harness.ts';
import { toyTile, trainToyBundle } from '../inference/toy-bundle.ts';

/** The exact probabilities of the result's classes, as the page shows them (data-probability). */
async function shownProbabilities(page: Page): Promise<Map<string, number>> {
  const rows = await page.locator('article.prediction li.prob-class').evaluateAll((items) => items.map((item) => [item.getAttribute('data-class'), item.getAttribute('data-probability')]));
  return new Map(rows.map(([name, value]) => [String(name), Number(value)]));
}

async function analyse(page: Page, name: string, photo: Buffer): Promise<void> {
  await page.locator('input[type=file]:not([capture])').setInputFiles({ name, mimeType: 'image/png', buffer: photo });
  await page.getByLabel('Specimen type').selectOption('Blood culture');
  await page.getByRole('button', { name: 'Analyse photo' }).click();
  await page.locator('article.prediction, section.quality-check, .result-area .message-error').first().waitFor();
}

/** Photos sent to the server to be read (not the device's syncs). */
const uploads = (app: App) => app.posted.filter((post) => post.path === '/api/predict' || post.path === '/api/predict/field').length;

function expectSameProbabilities(shown: Map<string, number>, served: { label: string; probability: number }[], tolerance: number): void {
  expect(shown.size).toBe(served.length);
  for (const { label, probability } of served) expect(Math.abs(shown.get(label)! - probability)).toBeLessThanOrEqual(tolerance);
}

describe('clinician, the model on the device', () => {
  let root: string;
  let app: App;
  let predictor: BundlePredictor;
  let browser: Browser;
  let tilePhoto: Buffer;
  let fieldPhoto: Buffer;
  let modelId: number;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'gramlens-e2e-device-'));
    const bundle = await trainToyBundle(root);
    predictor = await BundlePredictor.load(bundle);
    [app, browser] = await Promise.all([startApp([{ username: 'dr.ada', role: 'clinician' }], {}, predictor), launchBrowser()]);
    // Registered and active, as on a real server: the device's predictions name this model when they are synced.
    modelId = (await app.api<{ id: number }>('admin', 'POST', '/api/models', { path: bundle, name: 'Toy model', version: 'run-1' })).id;
    await app.api('admin', 'POST', `/api/models/${modelId}/activate`);
    tilePhoto = await sharp(toyTile('cocci', 7, 16), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
    const field = generateField({ label: 'gpc_clusters', seed: 4, width: 480, height: 360, pxPerUm: 9 });
    fieldPhoto = await sharp(Buffer.from(field.rgb), { raw: { width: field.width, height: field.height, channels: 3 } }).png().toBuffer();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await predictor?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('loads the server’s model, shows its version, and reads a tile photo as the server does, heatmap included', async () => {
    const device = await app.api<DeviceModel>('dr.ada', 'GET', '/api/models/active/device');
    const { page, problems } = await openPage(browser, PHONE, app);
    await logIn(page, 'dr.ada');
    expect(await page.getByLabel('Run the model').inputValue()).toBe('device');
    const status = page.locator('.model-status');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toContain(`The model runs on this device: version ${device.modelVersion}`);

    const uploadsBefore = uploads(app);
    await analyse(page, 'tile.png', tilePhoto);
    expect(uploads(app)).toBe(uploadsBefore);
    const served = await app.api<Prediction>('dr.ada', 'POST', '/api/predict', form(tilePhoto, 'tile.png'));
    if (served.refusal !== null) throw new Error(`the server refused the tile: ${served.refusal.reason}`);
    const result = page.locator('article.prediction');
    expectSameProbabilities(await shownProbabilities(page), served.classes, 1e-4);
    expect(await result.locator('.top-class strong').textContent()).toBe(served.top.label);
    // Online, the reading is sent to the audit trail at once, and the result says so.
    await expect.poll(() => result.locator('.meta').textContent(), { timeout: 20_000 }).toContain(`model ${served.modelVersion} · read on this device, in the audit trail`);
    const heatmap = result.getByAltText('Grad-CAM heatmap over the photo');
    await expect.poll(() => heatmap.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(16);
    // The same verdict panel as the server's results: no "Agree" on "uncertain: refer".
    await result.locator('.feedback').waitFor();
    expect(await result.getByRole('button', { name: 'Agree' }).count()).toBe(served.uncertain ? 0 : 1);
    await screenshot(page, 'clinician-on-device-tile-phone');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('reads a whole-field photo on the device: the server’s quality verdict, then its field answer and a tile map', async () => {
    const { page, problems } = await openPage(browser, PHONE, app);
    await logIn(page, 'dr.ada');
    await expect.poll(() => page.locator('.model-status').textContent(), { timeout: 30_000 }).toContain('The model runs on this device');
    // Read as a whole field for its size, scale unknown: the same verdict as the server's.
    const uploadsBefore = uploads(app);
    await analyse(page, 'field.png', fieldPhoto);
    expect(uploads(app)).toBe(uploadsBefore);
    const unscaled = await app.api<Prediction>('dr.ada', 'POST', '/api/predict', form(fieldPhoto, 'field.png'));
    const shownReasons = () => page.locator('.result-area .quality-reasons li').evaluateAll((items) => items.map((item) => item.getAttribute('data-reason')));
    expect(unscaled.refusal?.code).toBe('quality');
    expect(await shownReasons()).toEqual(unscaled.refusal?.qualityReasons);
    expect(await page.locator('article.prediction').count()).toBe(0);

    // With the switch and the photo's scale; predicted anyway if the check fails here too, as the server is asked to.
    await page.getByLabel(/^Whole microscope field/).check();
    await page.getByLabel('Photo scale, pixels per µm (optional)').fill('9');
    await analyse(page, 'field.png', fieldPhoto);
    const failed = (await page.locator('section.quality-failed').count()) > 0;
    if (failed) await page.getByRole('button', { name: 'Predict anyway' }).click();
    const result = page.locator('article.prediction');
    await result.waitFor();
    expect(uploads(app)).toBe(uploadsBefore + 1); // the test's own request to the server, above
    const scaled = form(fieldPhoto, 'field.png');
    scaled.append('pxPerUm', '9');
    if (failed) scaled.append('force', 'true');
    const served = (await app.api<FieldAnswer>('dr.ada', 'POST', '/api/predict/field', scaled)).prediction;
    if (!served?.field || served.refusal !== null) throw new Error('the server gave no field answer');
    expect(await result.locator('.top-class strong').textContent()).toBe(served.field.label);
    expectSameProbabilities(await shownProbabilities(page), served.classes, 1e-3);
    expect(await result.locator('[data-fact=tiles]').textContent()).toBe(tilesFact(served));
    const tileMap = result.getByAltText('Tile map over the photo');
    await expect.poll(() => tileMap.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(480);
    await screenshot(page, 'clinician-on-device-field-phone');
    expect(problems).toEqual([]);
    expect(await undocumentedApiCalls(app)).toEqual([]);
    await page.context().close();
  });

  /** The audit trail's predictions made on a device, as the server holds them. */
  const devicePredictions = async () => (await app.api<Prediction[]>('admin', 'GET', '/api/predictions?limit=500')).filter((p) => p.onDevice !== null);
  const queuedKeys = (page: Page) => page.evaluate(async () => (await window.gramlensOffline.queuedItems()).map((item) => item.key));

  it('reads a tile (with a correction) and a whole field with the network off, and hands them to the audit trail once each, also after the phone was closed', async () => {
    const device = await app.api<DeviceModel>('dr.ada', 'GET', '/api/models/active/device');
    const profile = mkdtempSync(join(tmpdir(), 'gramlens-e2e-profile-'));
    try {
      let { context, page } = await openProfile(profile, app, { ...PHONE, offline: false });
      await logIn(page, 'dr.ada');
      await waitForServiceWorker(page);
      // The app's own flow: the clinician keeps the server's model on the phone.
      await page.getByRole('button', { name: 'Get the current model' }).click();
      await page.getByText("This device holds the server's current model, Toy model run-1.").waitFor({ timeout: 60_000 });
      // The runtime's files are kept where the build serves them (/ort/).
      const runtimeFiles = (await (await fetch(`${app.baseUrl}/ort/files.json`)).json()) as string[];
      expect(runtimeFiles.some((path) => path.startsWith('/ort/') && path.endsWith('.wasm'))).toBe(true);
      const cachedRuntime = await page.evaluate(async () => (await (await caches.open('gramlens-runtime')).keys()).map((request) => new URL(request.url).pathname));
      expect(cachedRuntime.sort()).toEqual([...runtimeFiles].sort());
      const before = (await devicePredictions()).length;

      // From here the page, the runtime and the model come from the service worker's caches.
      await context.setOffline(true);
      await page.reload();
      await expect.poll(() => page.locator('.model-status').textContent(), { timeout: 60_000 }).toContain(`The model runs on this device: version ${device.modelVersion}`);
      await page.getByText('Offline: what you do is kept on this device', { exact: false }).waitFor();

      await analyse(page, 'tile.png', tilePhoto);
      const tile = page.locator('article.prediction');
      const servedTile = await app.api<Prediction>('dr.ada', 'POST', '/api/predict', form(tilePhoto, 'tile.png'));
      if (servedTile.refusal !== null) throw new Error(`the server refused the tile: ${servedTile.refusal.reason}`);
      const shownTile = await shownProbabilities(page);
      expectSameProbabilities(shownTile, servedTile.classes, 1e-4);
      expect(await tile.locator('.meta').textContent()).toContain('read on this device, will be sent to the audit trail');
      await expect.poll(() => tile.getByAltText('Grad-CAM heatmap over the photo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(16);
      // A verdict on what the device read, offline: a correction (the laboratory's result on "uncertain: refer", which offers no "Agree").
      expect(await tile.getByRole('button', { name: 'Agree' }).count()).toBe(servedTile.uncertain ? 0 : 1);
      await tile.locator('.feedback button[aria-controls]').click();
      const choice = tile.locator('.correction select');
      const firstChoice = choice.locator('option').first();
      const [corrected, correctedName] = [(await firstChoice.getAttribute('value'))!, (await firstChoice.textContent())!];
      if (!servedTile.uncertain) expect(corrected).not.toBe(servedTile.top.label);
      await choice.selectOption(corrected);
      await tile.locator('.correction button[type=submit]').click();
      await tile.getByText('is kept with the result and sent to the audit trail with it', { exact: false }).waitFor();
      expect(await tile.locator('.feedback-state').textContent()).toContain(correctedName);

      await page.getByLabel(/^Whole microscope field/).check();
      await page.getByLabel('Photo scale, pixels per µm (optional)').fill('9');
      await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'field.png', mimeType: 'image/png', buffer: fieldPhoto });
      await page.getByLabel('Specimen type').selectOption('Blood culture');
      await page.getByRole('button', { name: 'Analyse photo' }).click();
      // Only a whole field's answer has a quality verdict: it replaces the tile's result.
      await page.locator('.result-area .quality-check').first().waitFor();
      const failed = (await page.locator('section.quality-failed').count()) > 0;
      if (failed) await page.getByRole('button', { name: 'Predict anyway' }).click();
      const field = page.locator('article.prediction:has([data-fact=tiles])');
      await field.waitFor();
      await page.locator('.result-area .quality-check').first().waitFor();
      const scaled = form(fieldPhoto, 'field.png');
      scaled.append('pxPerUm', '9');
      if (failed) scaled.append('force', 'true');
      const servedField = (await app.api<FieldAnswer>('dr.ada', 'POST', '/api/predict/field', scaled)).prediction;
      if (!servedField?.field || servedField.refusal !== null) throw new Error('the server gave no field answer');
      expect(await field.locator('.top-class strong').textContent()).toBe(servedField.field.label);
      expectSameProbabilities(await shownProbabilities(page), servedField.classes, 1e-3);
      await expect.poll(() => field.getByAltText('Tile map over the photo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(480);
      await expect.poll(() => field.getByAltText('Grad-CAM heatmap over the photo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      expect(await field.locator('.feedback').count()).toBe(1);
      await page.getByText(`${failed ? 4 : 3} items kept on this device.`, { exact: false }).waitFor();
      await screenshot(page, 'clinician-offline-field-phone');
      const queued = await page.evaluate(async () => (await window.gramlensOffline.queuedItems()).map(({ key, kind, payload }) => ({ key, kind, payload })));
      // In the order they were made: the tile, the verdict on it (by the tile's key), the field (after its quality refusal, when it failed the check).
      expect(queued.map((item) => item.kind)).toEqual(['prediction', 'verdict', ...(failed ? ['prediction'] : []), 'prediction']);
      const verdict = queued[1].payload as DeviceVerdictSync;
      expect(verdict).toMatchObject({ prediction: { idempotencyKey: queued[0].key }, verdict: 'correct', label: corrected });
      const keys = queued.map((item) => item.key);
      const predictionKeys = queued.filter((item) => item.kind === 'prediction').map((item) => item.key);
      expect(await devicePredictions()).toHaveLength(before);
      // The phone is put away with both waiting, then opened again without a network, then with one.
      await context.close();

      ({ context, page } = await openProfile(profile, app, { ...PHONE, offline: true }));
      await page.getByText(`${failed ? 4 : 3} items kept on this device.`, { exact: false }).waitFor();
      expect(await queuedKeys(page)).toEqual(keys);
      expect(await devicePredictions()).toHaveLength(before);
      await context.setOffline(false);
      await expect.poll(async () => (await devicePredictions()).length, { timeout: 30_000 }).toBe(before + (failed ? 3 : 2));
      await expect.poll(() => queuedKeys(page), { timeout: 30_000 }).toEqual([]);
      await page.evaluate(() => window.gramlensOffline.syncOutbox({ force: true }));
      const synced = await devicePredictions();
      expect(synced).toHaveLength(before + (failed ? 3 : 2));
      const recorded = synced.filter((p) => predictionKeys.includes(p.onDevice!.idempotencyKey));
      expect(recorded.map((p) => p.onDevice!.idempotencyKey).sort()).toEqual([...predictionKeys].sort());
      for (const prediction of recorded) {
        expect(prediction).toMatchObject({ modelId, modelVersion: device.modelVersion, specimenType: 'Blood culture' });
        expect(prediction.onDevice!.device).toMatch(/^device-/);
      }
      const [syncedTile, syncedField] = [recorded.find((p) => !p.field && p.refusal?.code !== 'quality')!, recorded.find((p) => p.field)!];
      if (syncedTile.refusal !== null || syncedField.refusal !== null) throw new Error('a synced prediction lost its answer');
      expectSameProbabilities(shownTile, syncedTile.classes, 1e-9);
      expectSameProbabilities(new Map(servedTile.classes.map((c) => [c.label, c.probability])), syncedTile.classes, 1e-4);
      expect(syncedField.field!.label).toBe(servedField.field.label);
      // The verdict once, on the tile's prediction, with the time it was given; none on the field.
      const oneCorrection = [{ verdict: 'correct', label: corrected, user: { username: 'dr.ada' }, madeAt: verdict.madeAt }];
      expect(syncedTile.feedbackHistory).toMatchObject(oneCorrection);
      expect(syncedTile.feedback).toMatchObject(oneCorrection[0]);
      expect(syncedField.feedbackHistory).toEqual([]);
      // The same verdict sent again (a repeated sync) adds nothing.
      await app.api('dr.ada', 'POST', '/api/predictions/feedback/sync', verdict);
      const again = (await devicePredictions()).find((p) => p.id === syncedTile.id)!;
      expect(again.feedbackHistory).toMatchObject(oneCorrection);
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('falls back to the server when the model cannot be loaded onto the device', async () => {
    // Without the service worker, whose requests the page's routes do not see.
    const { page, problems } = await openPage(browser, { ...PHONE, serviceWorkers: 'block' }, app);
    await page.route('**/api/models/active/files/model.onnx', (route) => route.fulfill({ status: 500, body: 'broken' }));
    await logIn(page, 'dr.ada');
    await expect.poll(() => page.locator('.model-status').textContent(), { timeout: 30_000 }).toMatch(/^Photos are read on the server: the model could not be loaded onto this device/);
    expect(await page.getByLabel('Run the model').inputValue()).toBe('server');
    const uploadsBefore = app.posted.filter((post) => post.path === '/api/predict').length;
    await analyse(page, 'tile.png', tilePhoto);
    expect(app.posted.filter((post) => post.path === '/api/predict').length).toBe(uploadsBefore + 1);
    expect(await page.locator('article.prediction .meta').textContent()).not.toContain('read on this device');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

function form(photo: Buffer, name: string): FormData {
  const data = new FormData();
  data.append('specimenType', 'Blood culture');
  data.append('image', new Blob([new Uint8Array(photo)], { type: 'image/png' }), name);
  return data;
}

/** The tiles fact as the result screen words it for the server's field summary. */
function tilesFact(prediction: Prediction): string {
  const { total, inferred } = prediction.field!.tiles;
  return `${inferred} of ${total}${total > inferred ? ` (${total - inferred} empty, not read)` : ''}`;
}
