import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../src/contract/index.ts';
import { gramStainPhoto } from './fakes.ts';
import { launchBrowser, logIn, openPage, PHONE, screenshot, startApp, undocumentedApiCalls, type App } from './harness.ts';

describe('clinician, a photo the model cannot read', () => {
  let app: App;
  let browser: Browser;
  let photo: Buffer;

  beforeAll(async () => {
    [app, browser, photo] = await Promise.all([startApp([{ username: 'dr.ada', role: 'clinician' }]), launchBrowser(), gramStainPhoto('gnr', 5)]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('says plainly that it cannot read it, shows no class or probability, and keeps it in the history', async () => {
    const { page, problems } = await openPage(browser, PHONE, app);
    await logIn(page, 'dr.ada');
    app.predictor.refusal = { code: 'unfamiliar', reason: 'it is unlike anything the model was trained on' };
    await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'slide.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.getByLabel('Specimen type').selectOption('Urine');
    await page.getByRole('button', { name: 'Analyse photo' }).click();

    const result = page.locator('article.prediction-refused');
    await result.waitFor();
    const banner = result.locator('.banner-refused[role=alert]');
    expect(await banner.locator('strong').textContent()).toBe('This is not something I can read');
    expect(await banner.locator('.refusal-reason').textContent()).toBe('It is unlike anything the model was trained on.');
    expect(await result.locator('.top-class, .probabilities, .prob-list, .feedback').count()).toBe(0);
    expect(await result.textContent()).not.toMatch(/\d+(\.\d+)?\s?%/);
    expect(await result.getByAltText('The photo that could not be read').isVisible()).toBe(true);
    await expect.poll(() => page.locator('.live-result').textContent()).toBe('This is not something I can read: it is unlike anything the model was trained on. No prediction was made.');
    expect(await page.locator('.history-item .history-top').first().textContent()).toBe('No prediction: not something the model can read');
    expect(await page.locator('.history-item .tag-refused').first().textContent()).toBe('not readable');
    await screenshot(page, 'clinician-refusal-phone');

    const [recorded] = await app.api<Prediction[]>('admin', 'GET', '/api/predictions');
    expect(recorded).toMatchObject({ refusal: { code: 'unfamiliar' }, classes: [], top: null });
    expect(problems).toEqual([]);
    expect(await undocumentedApiCalls(app)).toEqual([]);
  });

  it('reads a whole-field photo as a field even with the switch off, quality check first', async () => {
    app.predictor.refusal = null;
    app.predictor.readAsField = true;
    app.predictor.fieldQualityOk = false;
    const { page, problems } = await openPage(browser, PHONE, app);
    await logIn(page, 'dr.ada');
    expect(await page.getByLabel(/^Whole microscope field/).isChecked()).toBe(false);
    await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'eyepiece.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.getByLabel('Specimen type').selectOption('Sputum / respiratory');
    await page.getByRole('button', { name: 'Analyse photo' }).click();

    const rejection = page.locator('section.quality-failed');
    await rejection.waitFor();
    expect(await page.locator('article.prediction').count()).toBe(0);
    await rejection.getByRole('button', { name: 'Predict anyway' }).click();
    const result = page.locator('article.prediction');
    await result.waitFor();
    expect(await result.locator('.top-class').textContent()).toBe('Whole fieldPolymicrobial');
    expect(app.predictor.fieldCalls.at(-1)).toEqual({ force: true });
    expect(problems).toEqual([]);
    app.predictor.readAsField = false;
  });
});
