import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agreement, Decision, Model, Project, TrainingRun, User } from '../../src/contract/index.ts';
import { gramStainPhoto, gramStainTile } from './fakes.ts';
import { DESKTOP, launchBrowser, logIn, openPage, PHONE, screenshot, startApp, undocumentedApiCalls, type App, type TestPage } from './harness.ts';

const TREE = [
  { name: 'Gram-positive', children: [{ name: 'GPC', displayName: 'Gram-positive cocci' }, { name: 'GPR', displayName: 'Gram-positive rods' }] },
  { name: 'Gram-negative', children: [{ name: 'GNR', displayName: 'Gram-negative rods' }, { name: 'GNC', displayName: 'Gram-negative cocci' }] },
];
const ANN = ['GPC', 'GPC', 'GPR', 'GNR', 'GNR', 'GNC', 'GPC', 'GPR'];
const BEN = ['GPC', 'GPC', 'GPC', 'GNR', 'GNR', 'GNR', 'GPC', 'GPR'];
const SYNTH_LABEL = { GPC: 'gpc_clusters', GPR: 'gpr', GNR: 'gnr', GNC: 'gnc' } as const;

/** Controls in the main area smaller than 44 × 44 px: too small to tap. */
function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('main button, main select, main input:not([type=file]), main summary, main textarea'))
      .filter((control) => control.getClientRects().length > 0)
      .map((control) => ({ control, box: control.getBoundingClientRect() }))
      .filter(({ box }) => box.width < 44 || box.height < 44)
      .map(({ control, box }) => `${control.tagName.toLowerCase()} "${control.getAttribute('aria-label') ?? control.textContent?.trim()}" ${Math.round(box.width)}×${Math.round(box.height)}`),
  );
}

describe('admin', () => {
  let app: App;
  let browser: Browser;
  let desktop: TestPage;
  let page: Page;
  let study: Project;

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp([
        { username: 'ann', role: 'annotator' },
        { username: 'ben', role: 'annotator' },
      ]),
      launchBrowser(),
    ]);
    study = await app.api<Project>('admin', 'POST', '/api/projects', { name: 'Sputum study', classTree: TREE, labelsRequired: 2 });
    for (const [i, label] of ANN.entries()) {
      const sha = await app.addImage(study.id, await gramStainTile(SYNTH_LABEL[label as keyof typeof SYNTH_LABEL], 200 + i), `sputum-${i}.png`);
      await app.api('ann', 'POST', `/api/projects/${study.id}/annotations`, { image: sha, label });
      await app.api('ben', 'POST', `/api/projects/${study.id}/annotations`, { image: sha, label: BEN[i] });
    }
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await gramStainPhoto('gnr', 3))]), 'audit.jpg');
    form.append('specimenType', 'Urine');
    await app.api('admin', 'POST', '/api/predict', form);
    desktop = await openPage(browser, DESKTOP, app);
    page = desktop.page;
    await logIn(page, 'admin');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const tab = async (name: string) => {
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  };

  it('creates a user', async () => {
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/admin/users');
    await page.locator('tbody tr').nth(2).waitFor();
    await page.getByLabel('Username').fill('dr.new');
    await page.getByLabel('Password', { exact: true }).fill('a new password');
    await page.getByLabel('Role').selectOption('clinician');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Created dr.new (clinician).').waitFor();
    await page.getByRole('rowheader', { name: 'dr.new' }).waitFor();
    await screenshot(page, 'admin-users-desktop');
    const userNamed = async (username: string) => (await app.api<User[]>('admin', 'GET', '/api/users')).find((u) => u.username === username);
    expect(await userNamed('dr.new')).toMatchObject({ role: 'clinician', disabled: false });

    await page.getByRole('row', { name: /dr\.new/ }).getByRole('button', { name: 'Disable' }).click();
    await page.getByText('dr.new is now disabled (their sessions ended).').waitFor();
    expect(await userNamed('dr.new')).toMatchObject({ disabled: true });
    // An admin cannot lock themselves out from here.
    expect(await page.getByRole('row', { name: /^admin/ }).getByRole('button', { name: 'Disable' }).isDisabled()).toBe(true);
  });

  it('creates a project from a class tree built in the form (or typed as JSON) and uploads images into it', async () => {
    await tab('Projects');
    // JSON is an option: typing it rebuilds the form.
    await page.getByText('Edit as JSON').click();
    const tree = page.getByLabel('Class tree (JSON)');
    await tree.fill('[{"name": "a"');
    await page.getByText(/^Not valid JSON/).waitFor();
    await tree.fill(JSON.stringify([{ name: 'Gram-positive', children: [{ name: 'GPC' }] }, { name: 'GNR' }]));
    await page.getByText('2 classes: GPC, GNR').waitFor();
    const editor = page.locator('fieldset.tree-editor');
    expect(await editor.getByLabel('Class name (stored label)').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value))).toEqual(['GPC', 'GNR']);

    // The form: add a class with a display name, move it up, add a group with a class, remove it again.
    await editor.getByRole('button', { name: 'Add class', exact: true }).click();
    await editor.getByLabel('Class name (stored label)').last().fill('GNC');
    await editor.getByLabel('Class display name').last().fill('Gram-negative cocci');
    await page.getByText('3 classes: GPC, GNR, GNC').waitFor();
    await editor.getByRole('button', { name: 'Up GNC' }).click();
    await page.getByText('3 classes: GPC, GNC, GNR').waitFor();
    await editor.getByRole('button', { name: 'Add group' }).click();
    await editor.getByLabel('Group name (stored label)').last().fill('Fungi');
    await editor.getByRole('button', { name: 'Add class to group Fungi' }).click();
    await editor.getByLabel('Class name (stored label)').last().fill('GPC');
    await page.getByText('4 classes: GPC, GNC, GNR, GPC').waitFor();

    // The API's validation is the one truth: a class named twice is refused with its reason.
    await page.getByLabel('Name', { exact: true }).fill('Wound swabs');
    await page.getByLabel('Labels required per image').fill('1');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText(/the class "GPC" appears twice in the tree/).waitFor();
    await editor.getByRole('button', { name: 'Remove Fungi' }).click();
    await page.getByText('3 classes: GPC, GNC, GNR').waitFor();
    await screenshot(page, 'admin-projects-form-desktop');
    await page.getByLabel('Labels required per image').fill('1');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText('Created the project “Wound swabs” with 3 classes.').waitFor();

    await page.locator('select[name=project]').selectOption({ label: 'Wound swabs' });
    await page.getByLabel('Images', { exact: true }).setInputFiles([
      { name: 'wound-1.png', mimeType: 'image/png', buffer: await gramStainTile('gpc_clusters', 301) },
      { name: 'wound-2.png', mimeType: 'image/png', buffer: await gramStainTile('gnr', 302) },
    ]);
    await page.getByRole('button', { name: 'Upload images' }).click();
    await page.getByText('Added 2 images.').waitFor();
    await screenshot(page, 'admin-projects-desktop');
    const wound = (await app.api<Project[]>('admin', 'GET', '/api/projects')).find((p) => p.name === 'Wound swabs');
    expect(wound).toMatchObject({ classes: ['GPC', 'GNC', 'GNR'], labelsRequired: 1, imageCount: 2 });
    expect(wound!.classTree).toEqual([{ name: 'Gram-positive', children: [{ name: 'GPC' }] }, { name: 'GNC', displayName: 'Gram-negative cocci' }, { name: 'GNR' }]);
  });

  it('shows kappa for two annotators and adjudicates a disagreement', async () => {
    await tab('Agreement');
    const expected = await app.api<Agreement>('admin', 'GET', `/api/projects/${study.id}/agreement`);
    expect(expected.pairs).toHaveLength(1);
    const fleiss = page.locator('[data-stat=fleiss] .stat-value');
    await fleiss.waitFor();
    expect(await fleiss.textContent()).toBe(expected.fleiss.kappa!.toFixed(2));
    const pair = page.locator('table[data-table=cohen] tbody tr');
    expect(await pair.locator('td').allTextContents()).toEqual(['ann', 'ben', '8', expected.pairs[0].kappa!.toFixed(2), expect.any(String)]);

    const cards = page.locator('li.disagreement');
    expect(await cards.count()).toBe(2);
    // Labels by the names clinicians see, never the codes.
    expect(await cards.first().locator('.votes').textContent()).toBe('ann Gram-positive rodsben Gram-positive cocci');
    expect(await page.locator('.agreement .hint').textContent()).toContain('Gram-positive cocci, Gram-positive rods');
    expect(await cards.first().getByLabel('Final label').locator('option').allTextContents()).toEqual(['Gram-positive cocci', 'Gram-positive rods', 'Gram-negative rods', 'Gram-negative cocci', 'Unclear']);
    await screenshot(page, 'admin-agreement-desktop');
    await cards.first().getByLabel('Final label').selectOption('GPR');
    await cards.first().getByRole('button', { name: 'Set final label' }).click();
    await page.getByText('Final label for sputum-2.png: Gram-positive rods.').waitFor();
    const decisions = await app.api<Decision[]>('admin', 'GET', `/api/projects/${study.id}/images`);
    expect(decisions[2]).toMatchObject({ adjudicatedLabel: 'GPR', status: 'adjudicated' });
  });

  it('trains with live progress, activates the new model, and cancels a second run', async () => {
    await tab('Training');
    await page.getByLabel('Project').selectOption({ label: 'Sputum study' });
    await page.getByRole('button', { name: 'Start training' }).click();
    const run = page.locator('li.run').first();
    // Progress arrives over the event stream while the run trains.
    await expect.poll(() => run.locator('.run-line').textContent(), { timeout: 15_000 }).toMatch(/^epoch \d of 3 · step \d of 4/);
    await screenshot(page, 'admin-training-desktop');
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    await run.getByRole('link', { name: 'activate it under Models' }).click();

    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    const row = page.locator('tr[data-model-id]').first();
    expect(await row.locator('.metrics').textContent()).toContain('accuracy0.912');
    await row.getByRole('button', { name: 'Activate' }).click();
    await row.getByText('Active').waitFor();
    await screenshot(page, 'admin-models-desktop');
    const models = await app.api<Model[]>('admin', 'GET', '/api/models');
    expect(models.map((m) => [m.version, m.active])).toEqual([['run-1', true]]);
    expect(app.predictor.activated.map((m) => m.version)).toEqual(['run-1']);

    await tab('Training');
    await page.getByRole('button', { name: 'Start training' }).click();
    const second = page.locator('li.run').first();
    await expect.poll(() => second.getAttribute('data-status')).toBe('running');
    await second.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => second.getAttribute('data-status')).toBe('cancelled');
    const runs = await app.api<TrainingRun[]>('admin', 'GET', '/api/runs');
    expect(runs.map((r) => r.status)).toEqual(['cancelled', 'completed']);
  });

  it('offers the audit log for download', async () => {
    await tab('Audit log');
    const link = page.getByRole('link', { name: 'Download audit log (CSV)' });
    expect(await link.getAttribute('href')).toBe('/api/audit.csv');
    const response = await page.request.get('/api/audit.csv');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect((await response.text()).split('\n')[0]).toContain('prediction_id');
    await page.locator('tbody tr td').first().waitFor();
    await screenshot(page, 'admin-audit-desktop');
    expect(desktop.problems).toEqual([]);
  });

  it('lays out every admin page on a phone', async () => {
    const phone = await openPage(browser, PHONE, app);
    await logIn(phone.page, 'admin');
    const ready: Record<string, string> = {
      users: 'tbody tr',
      projects: 'tbody tr',
      agreement: '[data-stat=fleiss]',
      models: 'tr[data-model-id]',
      training: 'li.run',
      audit: 'tbody tr td',
    };
    for (const [path, selector] of Object.entries(ready)) {
      await phone.page.goto(`/#/admin/${path}`);
      await phone.page.locator(selector).first().waitFor();
      await screenshot(phone.page, `admin-${path}-phone`);
      if (path === 'projects' || path === 'agreement') expect(await smallTapTargets(phone.page)).toEqual([]);
    }
    expect(phone.problems).toEqual([]);
    await phone.context.close();
  });

  it('calls only API routes the server documents', async () => {
    expect(await undocumentedApiCalls(app)).toEqual([]);
  });
});
