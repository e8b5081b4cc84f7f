import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../src/contract/index.ts';
import { gramStainPhoto } from './fakes.ts';
import { DESKTOP, launchBrowser, logIn, openPage, startApp, type App, type TestPage } from './harness.ts';

/** A page on another port of 127.0.0.1 that posts a photo to the clinician's server with their cookie. */
function forgeryPage(target: string, photoBase64: string): string {
  return `<!doctype html><title>loading</title><script>
    const bytes = Uint8Array.from(atob('${photoBase64}'), (c) => c.charCodeAt(0));
    const form = new FormData();
    form.append('image', new Blob([bytes], { type: 'image/jpeg' }), 'forged.jpg');
    form.append('specimenType', 'forged from another port');
    fetch('${target}/api/predict', { method: 'POST', body: form, credentials: 'include', mode: 'no-cors' })
      .then(() => (document.title = 'sent'), () => (document.title = 'sent'));
  </script>`;
}

describe('a page on another port of the same host', () => {
  let app: App;
  let browser: Browser;
  let photo: Buffer;
  let clinic: TestPage;
  let evil: Server;
  let evilUrl: string;

  beforeAll(async () => {
    [app, browser, photo] = await Promise.all([startApp([{ username: 'dr.ada', role: 'clinician' }]), launchBrowser(), gramStainPhoto('gpc_clusters', 5)]);
    evil = createHttpServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(forgeryPage(app.baseUrl, photo.toString('base64'))));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
    clinic = await openPage(browser, DESKTOP, app);
  });
  afterAll(async () => {
    evil?.close();
    await browser?.close();
    await app?.close();
  });

  it("cannot record a prediction in a logged-in clinician's name; the app's own page can", async () => {
    await logIn(clinic.page, 'dr.ada');
    const forgery = await clinic.context.newPage();
    await forgery.goto(evilUrl);
    await expect.poll(() => forgery.title()).toBe('sent');
    // the server has answered the forged request by now: nothing was recorded
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await app.api<Prediction[]>('dr.ada', 'GET', '/api/predictions')).toEqual([]);

    const own = await clinic.page.evaluate(async (photoBase64) => {
      const bytes = Uint8Array.from(atob(photoBase64), (c) => c.charCodeAt(0));
      const form = new FormData();
      form.append('image', new Blob([bytes], { type: 'image/jpeg' }), 'own.jpg');
      form.append('specimenType', 'from the app');
      return (await fetch('/api/predict', { method: 'POST', body: form, credentials: 'same-origin' })).status;
    }, photo.toString('base64'));
    expect(own).toBe(201);
    expect((await app.api<Prediction[]>('dr.ada', 'GET', '/api/predictions')).map((p) => p.specimenType)).toEqual(['from the app']);
  });
});
