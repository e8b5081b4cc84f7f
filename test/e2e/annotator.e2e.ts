import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision, LabelTreeNode, Project } from '../../src/contract/index.ts';
import { CLASS_IDS, classInfo, LABEL_TREE } from '../../src/synth/index.ts';
import { gramStainTile } from './fakes.ts';
import { ARTIFACTS, DESKTOP, launchBrowser, logIn, openPage, PHONE, screenshot, startApp, undocumentedApiCalls, type App } from './harness.ts';

/** The synthetic label tree as a project's class tree: names, display names and children. */
function classTree(nodes: readonly LabelTreeNode[]): LabelTreeNode[] {
  return nodes.map(({ name, displayName, children }) => ({ name, displayName, ...(children ? { children: classTree(children) } : {}) }));
}

const shown = (id: string) => classInfo(id).displayName;

/** Layout problems of the annotator's workspace on a phone: keys that break a word, small keys, image and keys not on one screen. */
async function phoneLayoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const buttons = Array.from(document.querySelectorAll<HTMLElement>('.keys button'));
    for (const button of buttons) {
      const box = button.getBoundingClientRect();
      if (box.width < 44 || box.height < 44) problems.push(`"${button.textContent}" is ${Math.round(box.width)}×${Math.round(box.height)} px`);
      if (box.top < 0 || box.bottom > innerHeight) problems.push(`"${button.textContent}" is off screen (${Math.round(box.top)}–${Math.round(box.bottom)})`);
      const label = button.querySelector('.key-label')!;
      const text = label.firstChild as Text;
      // A word drawn on two lines has two boxes (a line may still break after a hyphen: "lancet-/shaped").
      for (const match of text.data.matchAll(/[^\s-]+/g)) {
        const range = document.createRange();
        range.setStart(text, match.index);
        range.setEnd(text, match.index + match[0].length);
        if (range.getClientRects().length > 1) problems.push(`"${match[0]}" is broken inside the word on "${text.data}"`);
      }
    }
    const image = document.querySelector('figure.annotate-image')!.getBoundingClientRect();
    if (image.top < 0 || image.bottom > innerHeight) problems.push(`the image is off screen (${Math.round(image.top)}–${Math.round(image.bottom)})`);
    if (image.height < 200) problems.push(`the image is only ${Math.round(image.height)} px high`);
    return problems;
  });
}

/** A finger swipe across the element, left or right, through the browser's touch input. */
async function swipe(page: Page, selector: string, direction: 'left' | 'right'): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  const y = box.y + box.height / 2;
  const [from, to] = direction === 'left' ? [box.x + box.width * 0.8, box.x + box.width * 0.2] : [box.x + box.width * 0.2, box.x + box.width * 0.8];
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from, y }] });
  for (let step = 1; step <= 5; step++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from + ((to - from) * step) / 5, y }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

const IMAGES = 12;

describe('annotator workspace', () => {
  let app: App;
  let browser: Browser;
  let project: Project;
  const shas: string[] = [];
  const truth = new Map<string, string>();

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp([
        { username: 'ann', role: 'annotator' },
        { username: 'ben', role: 'annotator' },
      ]),
      launchBrowser(),
    ]);
    project = await app.api<Project>('admin', 'POST', '/api/projects', { name: 'Gram morphotypes', classTree: classTree(LABEL_TREE), labelsRequired: 2 });
    expect(project.classes).toEqual(CLASS_IDS);
    for (let i = 0; i < IMAGES; i++) {
      const label = CLASS_IDS[i % CLASS_IDS.length];
      const sha = await app.addImage(project.id, await gramStainTile(label, 100 + i), `tile-${i}.png`);
      shas.push(sha);
      truth.set(sha, label);
    }
    // Another annotator's labels, which the workspace must never reveal.
    for (const sha of shas.slice(0, 3)) await app.api('ben', 'POST', `/api/projects/${project.id}/annotations`, { image: sha, label: 'polymicrobial' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const votesOf = async (username: string) => {
    const decisions = await app.api<Decision[]>('admin', 'GET', `/api/projects/${project.id}/images`);
    return new Map(decisions.flatMap((d) => d.votes.filter((v) => v.username === username).map((v) => [d.image.sha256, v.label] as const)));
  };

  it('labels 10 images by keyboard alone, undoes one, and the server has the 10 labels', async () => {
    const { page, problems, context } = await openPage(browser, DESKTOP, app);
    const apiCalls: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/')) apiCalls.push(`${request.method()} ${url.pathname}`);
    });
    await logIn(page, 'ann');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/annotate');

    // Every class has its key on screen, plus unclear, skip and undo.
    const keys = await page.locator('.keys kbd').allTextContents();
    expect(keys.sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', 'S', 'U', 'Z']);
    // Keyboard hints where there is a keyboard; labels by the names clinicians see.
    expect(await page.locator('.keys kbd').first().isVisible()).toBe(true);
    expect(await page.locator('.keyboard-only').isVisible()).toBe(true);
    expect(await page.locator('.touch-only').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Gram-positive cocci in clusters' }).getAttribute('aria-keyshortcuts')).toBe('1');
    expect(await page.locator('.keys').textContent()).not.toMatch(/gpc_|no_bacteria/);
    const figure = page.locator('figure.annotate-image');
    const showing = async (sha: string) => {
      await expect.poll(() => figure.getAttribute('data-sha')).toBe(sha);
      await expect.poll(() => figure.getAttribute('data-state')).toBe('ready');
    };

    for (let i = 0; i < 10; i++) {
      await showing(shas[i]);
      await page.keyboard.press(String(CLASS_IDS.indexOf(truth.get(shas[i]) as (typeof CLASS_IDS)[number]) + 1));
    }
    await showing(shas[10]);
    expect(await page.locator('.progress-text').textContent()).toBe('Done this session: 10 · Left in your queue: 2');
    expect((await votesOf('ann')).size).toBe(10);

    await page.keyboard.press('Backspace');
    await showing(shas[9]);
    await page.getByText(`Undid “${shown(truth.get(shas[9])!)}”. Label this image again.`).first().waitFor();
    expect((await votesOf('ann')).size).toBe(9);
    expect(await page.locator('.progress-text').textContent()).toBe('Done this session: 9 · Left in your queue: 3');

    await page.keyboard.press('u');
    await showing(shas[10]);
    const votes = await votesOf('ann');
    expect(votes.size).toBe(10);
    for (const sha of shas.slice(0, 9)) expect(votes.get(sha)).toBe(truth.get(sha));
    expect(votes.get(shas[9])).toBe('unclear');
    await screenshot(page, 'annotator-desktop');

    // Only the queue was read: no route that carries other annotators' labels, and no trace of them.
    expect(apiCalls.filter((call) => /\/(images|disagreements|agreement|manifest\.csv)$|\/api\/users/.test(call))).toEqual([]);
    expect(await page.locator('body').textContent()).not.toMatch(/ben|polymicrobial ×|votes/i);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works by touch on a phone, with skip', async () => {
    const { page, problems, context } = await openPage(browser, PHONE, app);
    await logIn(page, 'ben');
    const figure = page.locator('figure.annotate-image');
    await expect.poll(() => figure.getAttribute('data-sha')).toBe(shas[3]);
    await expect.poll(() => figure.getAttribute('data-state')).toBe('ready');
    await screenshot(page, 'annotator-phone');
    // The image and every key on one screen, large keys that never break a word, no keyboard hints.
    expect(await phoneLayoutProblems(page)).toEqual([]);
    // What the phone shows without scrolling (a full-page shot renders as if with a mouse, showing the key hints).
    await page.screenshot({ path: `${ARTIFACTS}/annotator-phone-screen.png` });
    expect(await page.locator('.keys kbd').first().isVisible()).toBe(false);
    expect(await page.locator('.keyboard-only').isVisible()).toBe(false);
    expect(await page.locator('.touch-only').isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Gram-positive rods' }).tap();
    await expect.poll(() => figure.getAttribute('data-sha')).toBe(shas[4]);
    await page.getByRole('button', { name: 'Skip' }).tap();
    await expect.poll(() => figure.getAttribute('data-sha')).toBe(shas[5]);
    expect(await page.locator('.progress-text').textContent()).toBe('Done this session: 2 · Left in your queue: 7');
    const votes = await votesOf('ben');
    expect(votes.get(shas[3])).toBe('gpr');
    expect(votes.has(shas[4])).toBe(false);

    // Swipe left skips the image; swipe right undoes that.
    await expect.poll(() => figure.getAttribute('data-state')).toBe('ready');
    await swipe(page, 'figure.annotate-image', 'left');
    await expect.poll(() => figure.getAttribute('data-sha')).toBe(shas[6]);
    await expect.poll(() => figure.getAttribute('data-state')).toBe('ready');
    await swipe(page, 'figure.annotate-image', 'right');
    await expect.poll(() => figure.getAttribute('data-sha')).toBe(shas[5]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('calls only API routes the server documents', async () => {
    expect(await undocumentedApiCalls(app)).toEqual([]);
  });
});
