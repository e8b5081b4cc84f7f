import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchJob, Model, Project } from '../../src/contract/index.ts';
import { fakeAnswerOf } from '../jobs/fake-models.ts';
import { gramStainTile } from './fakes.ts';
import { launchBrowser, logIn, openPage, PHONE, screenshot, startApp, undocumentedApiCalls, type App, type TestPage } from './harness.ts';

const LABELS = ['gpc_clusters', 'gnr', 'gpr', 'gnc', 'gnr'] as const;

describe('jobs on the admin page', () => {
  let app: App;
  let browser: Browser;
  let phone: TestPage;
  let bundle: string;
  let images: string[];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp([]), launchBrowser()]);
    const project = await app.api<Project>('admin', 'POST', '/api/projects', { name: 'Blood cultures', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 });
    images = [];
    for (const [i, label] of LABELS.entries()) images.push(await app.addImage(project.id, await gramStainTile(label, 400 + i, 96), `culture-${i}.png`));
    bundle = mkdtempSync(join(tmpdir(), 'gramlens-e2e-bundle-'));
    const model = await app.api<Model>('admin', 'POST', '/api/models', { path: bundle, name: 'Gram', version: '1' });
    await app.api('admin', 'POST', `/api/models/${model.id}/activate`);
    phone = await openPage(browser, PHONE, app);
    await logIn(phone.page, 'admin');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (bundle) rmSync(bundle, { recursive: true, force: true });
  });

  it('launches a scoring job on a phone, follows it to completion with its summary, and offers its scores as CSV', async () => {
    const { page } = phone;
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    await page.getByText('No jobs yet.').waitFor();
    await page.getByLabel('Project to score').selectOption({ label: 'Blood cultures' });
    await page.getByRole('button', { name: 'Start scoring' }).click();
    await page.getByText('Scoring of “Blood cultures” is queued as job').waitFor();

    const card = page.locator('li.job').first();
    expect(await card.locator('h3').textContent()).toMatch(/^Scoring \d+ · Blood cultures$/);
    // The job's model waits for each image to be let through: the page follows it from the event stream alone.
    await expect.poll(() => card.locator('.run-line').textContent(), { timeout: 15_000 }).toBe('0 of 5');
    expect(await card.getAttribute('data-status')).toBe('running');
    // Progress is written at most every 250 ms (src/jobs/batch-job.ts): let the first image through after that.
    await new Promise((resolve) => setTimeout(resolve, 300));
    app.jobModels.allow(1);
    await expect.poll(() => card.locator('.run-line').textContent(), { timeout: 15_000 }).toBe('1 of 5');
    await card.getByRole('button', { name: 'Cancel' }).waitFor();
    await screenshot(page, 'admin-jobs-running-phone');

    app.jobModels.allow(images.length - 1);
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    expect(await card.locator('.run-line').textContent()).toBe('5 of 5');
    expect(await card.getByRole('button', { name: 'Cancel' }).count()).toBe(0);

    // The summary: confident answers per class as the job's model gave them, then the other outcomes.
    const confident: Record<string, number> = {};
    let uncertain = 0;
    for (const answer of images.map(fakeAnswerOf)) {
      if (answer.uncertain) uncertain += 1;
      else confident[`${answer.label}, confident`] = (confident[`${answer.label}, confident`] ?? 0) + 1;
    }
    const terms = await card.locator('.job-summary dt').allTextContents();
    const values = await card.locator('.job-summary dd').allTextContents();
    expect(Object.fromEntries(terms.map((term, i) => [term, Number(values[i])]))).toEqual({ scored: 5, ...confident, uncertain, refused: 0, unread: 0, failed: 0 });
    await screenshot(page, 'admin-jobs-phone');

    const link = card.getByRole('link', { name: 'Download scores (CSV)' });
    const href = await link.getAttribute('href');
    const jobs = await app.api<BatchJob[]>('admin', 'GET', '/api/jobs');
    expect(href).toBe(`/api/jobs/${jobs[0].id}/scores.csv`);
    const response = await page.request.get(href!);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect((await response.text()).trim().split('\n')).toHaveLength(1 + images.length);
    expect(phone.problems).toEqual([]);
  });

  it('launches a re-explanation with the chosen method, and cancels a running scoring job', async () => {
    const { page } = phone;
    await page.getByLabel('Project to re-explain').selectOption({ label: 'Blood cultures' });
    await page.getByLabel('Heatmap method').selectOption({ label: 'Grad-CAM++' });
    await page.getByRole('button', { name: 'Start re-explanation' }).click();
    const explaining = page.locator('li.job').first();
    await expect.poll(() => explaining.locator('h3').textContent()).toMatch(/^Re-explanation \d+ · Blood cultures$/);
    expect(await explaining.locator('.meta').first().textContent()).toBe('Model Gram · 1 · Grad-CAM++');
    app.jobModels.allow(images.length);
    await expect.poll(() => explaining.getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    expect(await explaining.locator('.job-summary').textContent()).toBe(`explained${images.length}refused0failed0`);
    expect(await explaining.getByRole('link', { name: 'Download scores (CSV)' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Start scoring' }).click();
    const scoring = page.locator('li.job').first();
    await expect.poll(() => scoring.locator('.run-line').textContent(), { timeout: 15_000 }).toBe('0 of 5');
    await scoring.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => scoring.getAttribute('data-status'), { timeout: 15_000 }).toBe('cancelled');
    // The image the job's model was waiting on goes through; the job stops after it.
    app.jobModels.allow(1);
    const jobs = await app.api<BatchJob[]>('admin', 'GET', '/api/jobs');
    expect(jobs.map((job) => [job.kind, job.status])).toEqual([
      ['scoring', 'cancelled'],
      ['explaining', 'completed'],
      ['scoring', 'completed'],
    ]);
    expect(phone.problems).toEqual([]);
  });

  it('calls only API routes the server documents', async () => {
    expect(await undocumentedApiCalls(app)).toEqual([]);
  });
});
