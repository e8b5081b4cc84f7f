import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { Role } from '../../src/contract/index.ts';
import { createServer, type Predictor, type ServerLimits } from '../../src/server/index.ts';
import { modelVersionOf, readBundleMetadata } from '../../src/models/index.ts';
import { openStore } from '../../src/store/index.ts';
import { fakeJobModels, type FakeJobModels } from '../jobs/fake-models.ts';
import { FAKE_MODEL_VERSION, fakePredictor, fakeTrainer, heatmapPng, type FakePredictor, type FakeTrainer } from './fakes.ts';

export const WEB_DIST = fileURLToPath(new URL('../../src/web/dist', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/e2e', import.meta.url));
export const PASSWORD = 'e2e-password-1';

export interface App {
  baseUrl: string;
  predictor: FakePredictor;
  trainer: FakeTrainer;
  /** Scoring and re-explanation jobs' models: each image waits for `jobModels.allow()`, so a test sees a job part-way. */
  jobModels: FakeJobModels;
  /** Every POST's body size as the server was told it (content-length), newest last. */
  posted: { path: string; bytes: number }[];
  /** Moves the server's clock forward (sessions expire, rate limits lapse). */
  advanceClock(ms: number): void;
  /** A JSON API call as a user (logged in over HTTP on first use). */
  api<T = unknown>(username: string, method: string, path: string, body?: unknown): Promise<T>;
  /** Uploads an image into a project as the admin; resolves with its sha256. */
  addImage(projectId: number, image: Buffer, filename: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real server on 127.0.0.1 (random port) over a temporary data folder, serving the built web
 * app, with a fake predictor (or the given real `model`), a fake trainer and fake job models. The admin and the given users are created through the store.
 */
export async function startApp(users: { username: string; role: Role }[], limits: Partial<ServerLimits> = {}, model?: Predictor): Promise<App> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gramlens-e2e-'));
  const store = await openStore({ dataDir });
  for (const user of [{ username: 'admin', role: 'admin' as const }, ...users]) await store.users.create({ ...user, password: PASSWORD });
  await store.close();

  let clockOffset = 0;
  const predictor = await fakePredictor();
  const trainer = fakeTrainer(join(dataDir, 'bundles'));
  const jobModels = fakeJobModels(await heatmapPng(), { gated: true });
  // With the fake predictor, every registered bundle has its version (devices claim it for what they sync); a real model's bundles have their own, as the CLI's server reads it.
  const bundleVersionOf = model ? async (path: string) => modelVersionOf(await readBundleMetadata(path)) : async () => FAKE_MODEL_VERSION;
  const server = createServer({ dataDir, staticDir: WEB_DIST, predictor: model ?? predictor, trainer, jobModels, limits, bundleVersionOf, clock: () => Date.now() + clockOffset });
  const posted: App['posted'] = [];
  server.addHook('onRequest', async (request) => {
    if (request.method === 'POST') posted.push({ path: request.url.split('?')[0], bytes: Number(request.headers['content-length'] ?? 0) });
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;

  const cookies = new Map<string, string>();
  const cookieOf = async (username: string) => {
    let cookie = cookies.get(username);
    if (!cookie) {
      const response = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      if (!response.ok) throw new Error(`login as ${username} failed: ${response.status} ${await response.text()}`);
      cookie = response.headers.getSetCookie()[0].split(';')[0];
      cookies.set(username, cookie);
    }
    return cookie;
  };

  const call = async <T>(username: string, method: string, path: string, body?: unknown | FormData): Promise<T> => {
    const send = async () => {
      const headers: Record<string, string> = { cookie: await cookieOf(username) };
      if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';
      return fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body) });
    };
    let response = await send();
    if (response.status === 401) {
      // The session lapsed (e.g. after advanceClock): log in again once.
      cookies.delete(username);
      response = await send();
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} as ${username}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  return {
    baseUrl,
    posted,
    predictor,
    trainer,
    jobModels,
    advanceClock: (ms) => void (clockOffset += ms),
    api: call,
    async addImage(projectId, image, filename) {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(image)]), filename);
      const uploaded = await call<{ image: { sha256: string } }>('admin', 'POST', `/api/projects/${projectId}/images`, form);
      return uploaded.image.sha256;
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};

export function launchBrowser(): Promise<Browser> {
  return chromium.launch(CHROMIUM);
}

/** A browser profile kept in a folder: closing it and opening it again keeps its storage, cookies and service workers, as a phone does. */
export function launchProfile(userDataDir: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { ...CHROMIUM, ...options });
}

/** A page of a browser profile kept in userDataDir (see launchProfile), opened at the app's root, with or without a network. */
export async function openProfile(userDataDir: string, app: App, options: BrowserContextOptions & { offline: boolean }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await launchProfile(userDataDir, { ...options, baseURL: app.baseUrl });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto('/');
  return { context, page };
}

/** Resolves once the app's service worker controls the page. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
}

export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and CSP refusals seen so far: a passing test expects none. */
  problems: string[];
}

/** Every API call the pages of this test file made, as "METHOD /api/path". */
const apiCalls = new Set<string>();

export async function openPage(browser: Browser, device: BrowserContextOptions, app: App): Promise<TestPage> {
  const context = await browser.newContext({ ...device, baseURL: app.baseUrl });
  const page = await context.newPage();
  if (device.hasTouch) {
    // A phone's screen: a coarse pointer that cannot hover, as CSS media queries see it (headless Chromium's touch emulation leaves them at mouse values).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setEmulatedMedia', {
      features: [
        { name: 'pointer', value: 'coarse' },
        { name: 'hover', value: 'none' },
        { name: 'any-pointer', value: 'coarse' },
        { name: 'any-hover', value: 'none' },
      ],
    });
  }
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/api/')) apiCalls.add(`${request.method()} ${pathname}`);
  });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // 401/404 answers are logged by the browser as "Failed to load resource"; those are expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  await page.goto('/');
  return { context, page, problems };
}

/** Logs in with the keyboard alone: the username field has focus on arrival. */
export async function logIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  const field = page.getByLabel('Username');
  await field.waitFor();
  await field.fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Saves a full-page screenshot under test-artifacts/e2e, and fails when the page scrolls sideways. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Let images decode before the shot.
  await page.waitForFunction(() => Array.from(document.images).every((image) => image.complete || image.loading === 'lazy'));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) throw new Error(`${name}: the page is ${overflow}px wider than the viewport`);
}

/** The API calls the pages made that GET /api/openapi.json does not list: the web app and server disagree on them. */
export async function undocumentedApiCalls(app: App): Promise<string[]> {
  if (apiCalls.size === 0) throw new Error('no API calls were recorded');
  const openApi = (await (await fetch(`${app.baseUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(openApi.paths).flatMap(([path, operations]) => {
    const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return Object.keys(operations).map((method) => ({ method: method.toUpperCase(), pattern }));
  });
  return [...apiCalls].filter((call) => {
    const [method, path] = call.split(' ');
    return !routes.some((route) => route.method === method && route.pattern.test(path));
  });
}

/** Every visible control a finger taps: buttons, form fields, button-styled links; not links inside a sentence. */
export async function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('button, select, input:not([type=checkbox]):not([type=radio]):not([type=range]), textarea, a.button, a.model-report, label.button'))
      .filter((element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden' && !element.closest('.visually-hidden'))
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }) => box.height < 44 || box.width < 44)
      .map(({ element, box }) => `${element.tagName.toLowerCase()} "${(element.textContent || element.getAttribute('name') || '').trim()}" ${Math.round(box.width)}x${Math.round(box.height)}`),
  );
}
