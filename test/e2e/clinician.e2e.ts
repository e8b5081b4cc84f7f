import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../src/contract/index.ts';
import { gramStainPhoto } from './fakes.ts';
import { DESKTOP, launchBrowser, logIn, openPage, PHONE, screenshot, startApp, undocumentedApiCalls, type App, type TestPage } from './harness.ts';

describe('clinician', () => {
  let app: App;
  let browser: Browser;
  let photo: Buffer;
  let phone: TestPage;

  beforeAll(async () => {
    [app, browser, photo] = await Promise.all([
      startApp([{ username: 'dr.ada', role: 'clinician' }], { loginMaxFailures: 3 }),
      launchBrowser(),
      gramStainPhoto('gpc_clusters', 11),
    ]);
    phone = await openPage(browser, PHONE, app);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('explains failed logins: wrong password, then the rate limit', async () => {
    const { page } = phone;
    await expect.poll(() => page.getByLabel('Username').evaluate((el) => el === document.activeElement)).toBe(true);
    await screenshot(page, 'login-phone');

    await page.getByLabel('Username').fill('dr.ada');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong username or password');

    const attempt = async (password: string) => {
      await page.getByLabel('Username').fill('ghost');
      await page.getByLabel('Password').fill(password);
      await Promise.all([page.waitForResponse('**/api/auth/login'), page.getByLabel('Password').press('Enter')]);
    };
    for (let i = 0; i < 3; i++) await attempt(`guess ${i}`);
    await attempt('one more guess');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^Too many failed logins; try again in \d+ s/);
    expect(await page.locator('form button[type=submit]').isDisabled()).toBe(true);
    expect(phone.problems).toEqual([]);
  });

  let first: Prediction;

  it('takes a photo, shows the prediction with its heatmap, and records agreement and a correction', async () => {
    const { page } = phone;
    await logIn(page, 'dr.ada');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/clinic');
    await page.getByText('Research use only — not a medical device').waitFor();

    const camera = page.locator('input[type=file][capture=environment]');
    expect(await camera.getAttribute('accept')).toBe('image/*');
    await camera.setInputFiles({ name: 'field-1.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.getByAltText('Preview of the chosen photo').waitFor();
    await page.getByLabel('Specimen type').selectOption('Blood culture');
    await page.getByLabel('Case ID (optional)').fill('bed 12 <b>x</b>');
    const started = Date.now();
    await page.getByRole('button', { name: 'Analyse photo' }).click();

    const result = page.locator('article.prediction');
    await result.waitFor();
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => page.locator('.live-result').textContent()).toBe('Result: Most likely Gram-positive cocci in clusters, 62%.');
    expect(await result.locator('.top-class').textContent()).toBe('Most likelyGram-positive cocci in clusters62%');
    // Free text comes back as text, never as markup.
    expect(await result.locator('.meta').textContent()).toContain('case bed 12 <b>x</b>');
    expect(await page.getByText('Uncertain — refer to microbiology').count()).toBe(0);

    // Bars along the label tree: the Gram group sums its classes.
    const group = result.locator('li.prob-group[data-class=GPC]');
    expect(await group.locator(':scope > .prob-row .prob-value').textContent()).toBe('82%');
    expect(await group.locator('li[data-class=gpc_clusters] .prob-value').textContent()).toBe('62%');
    expect(await result.locator('li.prob[data-class=gpr] .prob-name').textContent()).toBe('Gram-positive rods');

    // The heatmap over the photo: loaded, switchable, with adjustable opacity.
    const overlay = result.getByAltText('Grad-CAM heatmap over the photo');
    await expect.poll(() => overlay.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    expect(await result.getByAltText('The specimen photo as analysed').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(800);
    expect(await overlay.isVisible()).toBe(true);
    await page.getByLabel('Show heatmap').uncheck();
    expect(await overlay.isVisible()).toBe(false);
    await page.getByLabel('Show heatmap').check();
    expect(await overlay.isVisible()).toBe(true);
    await page.getByLabel('Heatmap opacity').fill('80');
    expect(await overlay.evaluate((img) => getComputedStyle(img).opacity)).toBe('0.8');
    await screenshot(page, 'clinician-result-phone');

    first = (await app.api<Prediction[]>('admin', 'GET', '/api/predictions'))[0];
    expect(first).toMatchObject({ specimenType: 'Blood culture', caseId: 'bed 12 <b>x</b>', feedback: null });

    await page.getByRole('button', { name: 'Agree' }).click();
    await page.getByText('Thank you: your agreement is recorded.').waitFor();
    expect((await app.api<Prediction>('admin', 'GET', `/api/predictions/${first.id}`)).feedback).toMatchObject({ verdict: 'agree', label: null });

    await page.getByRole('button', { name: 'Correct it…' }).click();
    await page.getByLabel('The right class').selectOption({ label: 'Gram-negative rods' });
    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.getByText('Thank you: your correction to Gram-negative rods is recorded.').waitFor();
    expect((await app.api<Prediction>('admin', 'GET', `/api/predictions/${first.id}`)).feedback).toMatchObject({ verdict: 'correct', label: 'gnr' });
    expect(phone.problems).toEqual([]);
  });

  it('flags an uncertain prediction for referral and keeps a history', async () => {
    const { page } = phone;
    app.predictor.uncertain = true;
    await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'field-2.jpg', mimeType: 'image/jpeg', buffer: await gramStainPhoto('gnr', 12) });
    await page.getByLabel('Specimen type').selectOption('Sputum / respiratory');
    await page.getByRole('button', { name: 'Analyse photo' }).click();
    const banner = page.locator('article.prediction .banner[role=alert]');
    await banner.waitFor();
    expect(await banner.locator('strong').textContent()).toBe('Uncertain — refer to microbiology');
    app.predictor.uncertain = false;

    const history = page.locator('.history-item');
    expect(await history.count()).toBe(2);
    expect(await history.nth(0).textContent()).toContain('uncertain');
    expect(await history.nth(1).textContent()).toContain('corrected to Gram-negative rods');
    await screenshot(page, 'clinician-uncertain-phone');

    // Opening an older prediction from the history shows it again, heatmap included.
    await history.nth(1).click();
    await expect.poll(() => page.locator('article.prediction').getAttribute('data-prediction-id')).toBe(first.id);
    expect(await page.locator('article.prediction .banner').count()).toBe(0);
    expect(phone.problems).toEqual([]);
  });

  it('sends an expired session back to the login with a message, and returns after logging in', async () => {
    const { page } = phone;
    app.advanceClock(13 * 60 * 60 * 1000);
    await page.getByRole('button', { name: 'Agree' }).click();
    await page.getByText('Your session has expired. Please log in again.').waitFor();
    await logIn(page, 'dr.ada');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/clinic');
    // The history is fetched after the clinic screen opens.
    await expect.poll(() => page.locator('.history-item').count()).toBe(2);
    expect(phone.problems).toEqual([]);
  });

  it('lays out on the desktop', async () => {
    const desktop = await openPage(browser, DESKTOP, app);
    await screenshot(desktop.page, 'login-desktop');
    await logIn(desktop.page, 'dr.ada');
    await desktop.page.locator('.history-item').nth(1).click();
    await desktop.page.locator('article.prediction').waitFor();
    await screenshot(desktop.page, 'clinician-result-desktop');
    await desktop.page.locator('.history-item').nth(0).click();
    await desktop.page.locator('article.prediction .banner').waitFor();
    await screenshot(desktop.page, 'clinician-uncertain-desktop');

    // Admin pages are not for clinicians: the app sends them home.
    await desktop.page.goto('/#/admin/users');
    await expect.poll(() => desktop.page.evaluate(() => location.hash)).toBe('#/clinic');

    await desktop.page.getByRole('button', { name: 'Log out' }).click();
    await desktop.page.getByText('You have logged out.').waitFor();
    const session = await desktop.page.request.get('/api/auth/me');
    expect(session.status()).toBe(401);
    expect(desktop.problems).toEqual([]);
    await desktop.context.close();
  });

  it('calls only API routes the server documents', async () => {
    expect(await undocumentedApiCalls(app)).toEqual([]);
  });
});
