import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../src/contract/index.ts';
import { gramStainPhoto } from './fakes.ts';
import { launchBrowser, logIn, openPage, PHONE, screenshot, startApp, undocumentedApiCalls, type App } from './harness.ts';

describe('clinician, whole microscope field', () => {
  let app: App;
  let browser: Browser;
  let photo: Buffer;

  beforeAll(async () => {
    [app, browser, photo] = await Promise.all([startApp([{ username: 'dr.grace', role: 'clinician' }]), launchBrowser(), gramStainPhoto('polymicrobial', 21)]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the quality reasons and no prediction, predicts anyway on request, then shows the tile map with its legend', async () => {
    const { page, problems } = await openPage(browser, PHONE, app);
    await logIn(page, 'dr.grace');
    const scale = page.getByLabel('Photo scale, pixels per µm (optional)');
    expect(await scale.isVisible()).toBe(false);
    await page.getByLabel(/^Whole microscope field/).check();
    await scale.fill('9');

    await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'field-blurred.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.getByLabel('Specimen type').selectOption('Sputum / respiratory');
    await page.getByRole('button', { name: 'Analyse photo' }).click();

    // The quality verdict comes first; a failed check is a refusal (in the history, as in the audit trail) that shows why and predicts nothing.
    const rejection = page.locator('section.quality-failed');
    await rejection.waitFor();
    expect(await rejection.getByRole('heading').textContent()).toBe('Photo quality check failed');
    expect(await rejection.locator('.quality-reasons li').allTextContents()).toEqual([
      'Out of focus — Turn the fine focus until the organisms have sharp edges.',
      'Too dark — Open the condenser diaphragm or turn up the light.',
    ]);
    expect(await page.locator('article.prediction').count()).toBe(0);
    expect(await page.locator('.history-item').count()).toBe(1);
    expect(await page.locator('.history-item').first().textContent()).toContain('not readable');
    expect(app.predictor.fieldCalls).toEqual([{ pxPerUm: 9, force: false }]);
    await expect.poll(() => page.locator('.live-result').textContent()).toBe('Photo quality check failed: out of focus, too dark. No prediction was made.');
    await screenshot(page, 'clinician-field-quality-failed-phone');

    await rejection.getByRole('button', { name: 'Predict anyway' }).click();
    const result = page.locator('article.prediction');
    await result.waitFor();
    expect(app.predictor.fieldCalls.at(-1)).toEqual({ pxPerUm: 9, force: true });
    const warning = result.locator('.quality-check.banner[role=alert]');
    expect(await warning.locator('strong').first().textContent()).toBe('Predicted despite a failed photo quality check');
    expect(await result.locator('.top-class').textContent()).toBe('Whole fieldPolymicrobial');
    expect(await result.locator('[data-fact=morphotypes]').textContent()).toBe('Gram-positive cocci in clusters (16 tiles, 14 confident), Gram-negative rods (7 tiles, 6 confident)');
    expect(await result.locator('[data-fact=multiple]').textContent()).toBe('yes');
    expect(await result.locator('[data-fact=tiles]').textContent()).toBe('40 of 48 (8 empty, not read)');

    // The tile map over the photo, with its legend and switch, beside the Grad-CAM heatmap.
    const tileMap = result.getByAltText('Tile map over the photo');
    await expect.poll(() => tileMap.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(160);
    expect(await result.locator('.legend li').allTextContents()).toEqual([
      'Gram-positive cocci in clusters — 16 tiles',
      'Gram-negative rods — 7 tiles',
      'No organisms seen — 17 tiles',
    ]);
    // One count per class on the whole screen: the morphotype list's tiles are the legend's.
    const listed = (await result.locator('[data-fact=morphotypes]').textContent())!;
    for (const entry of await result.locator('.legend li').allTextContents()) {
      const [name, count] = entry.split(' — ');
      if (listed.includes(name)) expect(listed).toContain(`${name} (${count}`);
    }
    expect(await result.locator('.legend li[data-class=gnr] .swatch').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(230, 159, 0)');
    await page.getByLabel('Show tile map').uncheck();
    expect(await tileMap.isVisible()).toBe(false);
    await page.getByLabel('Show tile map').check();
    expect(await tileMap.isVisible()).toBe(true);
    await expect.poll(() => result.getByAltText('Grad-CAM heatmap over the photo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    await screenshot(page, 'clinician-field-result-phone');

    const [recorded] = await app.api<Prediction[]>('admin', 'GET', '/api/predictions');
    expect(recorded.field).toMatchObject({ forced: true, label: 'polymicrobial', photoPxPerUm: 9, tileMapUrl: `/api/predictions/${recorded.id}/tilemap.png` });

    // A photo that passes: its quality verdict is shown before the result.
    app.predictor.fieldQualityOk = true;
    await expect.poll(() => page.getByLabel('Photo scale, pixels per µm (optional)').inputValue()).toBe('9');
    await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'field-sharp.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.getByLabel('Specimen type').selectOption('Blood culture');
    await page.getByRole('button', { name: 'Analyse photo' }).click();
    await expect.poll(() => page.locator('article.prediction').getAttribute('data-prediction-id')).not.toBe(recorded.id);
    const order = await page.locator('article.prediction').evaluate((article) =>
      Array.from(article.children)
        .map((child) => child.className)
        .filter((name) => /quality-check|top-class/.test(name)),
    );
    expect(order).toEqual(['quality-check quality-ok', 'top-class']);
    const history = page.locator('.history-item');
    expect(await history.count()).toBe(3);
    expect(await history.nth(0).locator('.history-top').textContent()).toBe('Whole field: Polymicrobial');
    expect(await history.nth(1).textContent()).toContain('failed quality check');
    expect(await history.nth(2).textContent()).toContain('not readable');

    expect(problems).toEqual([]);
    expect(await undocumentedApiCalls(app)).toEqual([]);
  });
});
