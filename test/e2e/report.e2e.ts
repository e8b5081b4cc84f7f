import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportData, renderReportHtml, treeDisplayNames } from '../../src/report/index.ts';
import { LABEL_TREE } from '../../src/synth/index.ts';
import { fullReportInput, GRAM_CLASSES } from '../report/fixtures.ts';
import { DESKTOP, launchBrowser, PHONE, screenshot } from './harness.ts';

/** What a reader cannot read on the report as laid out: cut "What it means" cells, squeezed definitions, overlapping contents. */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const cell of Array.from(document.querySelectorAll<HTMLElement>('table.headline td:last-child'))) {
      const box = cell.getBoundingClientRect();
      if (box.right > innerWidth || box.left < 0) problems.push(`"What it means" is cut: ${Math.round(box.left)}–${Math.round(box.right)} of ${innerWidth}`);
    }
    for (const definition of Array.from(document.querySelectorAll<HTMLElement>('.definitions dd'))) {
      const width = definition.getBoundingClientRect().width;
      if (width < 200) problems.push(`a definition is squeezed to ${Math.round(width)} px`);
    }
    const entries = Array.from(document.querySelectorAll('nav.contents li'), (item) => item.getBoundingClientRect());
    entries.forEach((a, i) =>
      entries.slice(i + 1).forEach((b, j) => {
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) problems.push(`contents entries ${i + 1} and ${i + j + 2} overlap`);
      }),
    );
    return problems;
  });
}

describe('the evaluation report in a browser', () => {
  let browser: Browser;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    const input = await fullReportInput({ classNames: GRAM_CLASSES, iterations: 30 });
    const data = buildReportData({ ...input, displayNames: treeDisplayNames(LABEL_TREE), synthetic: true });
    dir = mkdtempSync(join(tmpdir(), 'gramlens-report-e2e-'));
    writeFileSync(join(dir, 'report.html'), renderReportHtml(data));
    url = pathToFileURL(join(dir, 'report.html')).href;
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (device: BrowserContextOptions) => {
    const context = await browser.newContext(device);
    const page = await context.newPage();
    await page.goto(url);
    return { context, page };
  };

  it('reads on a phone: no sideways scroll, nothing cut or squeezed, the summary first', async () => {
    const { context, page } = await open(PHONE);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await layoutProblems(page)).toEqual([]);
    // The plain-language summary and the synthetic-data notice are on the first screen.
    const summary = await page.locator('#in-short').boundingBox();
    expect(summary!.y).toBeLessThan(844);
    expect(await page.locator('#in-short').textContent()).toMatch(/synthetic \(computer-generated\)[\s\S]*named the class right in/);
    // The configuration is folded away until asked for.
    expect(await page.locator('pre.config').isVisible()).toBe(false);
    await page.getByText('Configuration that reproduces the run').click();
    expect(await page.locator('pre.config').isVisible()).toBe(true);
    await screenshot(page, 'report-phone');
    await context.close();
  });

  it('reads on a desktop', async () => {
    const { context, page } = await open(DESKTOP);
    expect(await layoutProblems(page)).toEqual([]);
    await screenshot(page, 'report-desktop');
    await context.close();
  });
});
