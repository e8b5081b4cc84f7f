import { api, ApiError, messageOf, onSessionLost } from './api.ts';
import { h, replace } from './dom.ts';
import { findRoute, homeOf, mainNavigation, pathOfHash } from './routes.ts';
import { createShell, type Shell } from './shell.ts';
import type { Session } from '../contract/index.ts';
import type { View } from './view.ts';
import { loginView, type LoginNotice } from './views/login.ts';
import * as offline from './offline/index.ts';
import { forgetSession, provideModelFiles, registerServiceWorker, rememberedSession, rememberSession, startOutbox, stopOutbox } from './offline/index.ts';
import { modelFilesForOffline } from './on-device/index.ts';

const root = document.getElementById('app')!;
const EXPIRED: LoginNotice = { text: 'Your session has expired. Please log in again.', problem: true };
const NO_NETWORK: LoginNotice = { text: 'No network: log in when the connection is back. Anything kept on this device stays until then.', problem: true };
// setTimeout holds at most 2^31-1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

let session: Session | null = null;
let shell: Shell | null = null;
let view: View | null = null;
let expiryTimer: number | undefined;

function mount(next: View, container: Element): void {
  view?.dispose?.();
  view = next;
  replace(container, next.element);
}

function showLogin(notice: LoginNotice | null): void {
  // The outbox stops sending but keeps every item: they go when this user logs in again.
  stopOutbox();
  forgetSession();
  session = null;
  shell = null;
  window.clearTimeout(expiryTimer);
  view?.dispose?.();
  view = null;
  document.title = 'Log in — gramlens';
  const login = loginView(notice, (started) => {
    startSession(started);
    render();
  });
  mount(login, root);
}

function startSession(started: Session): void {
  session = started;
  rememberSession(started);
  if (started.user.role !== 'annotator') startOutbox(started.user);
  shell = createShell(started.user, mainNavigation(started.user.role), logout);
  replace(root, shell.element);
  window.clearTimeout(expiryTimer);
  const msLeft = Date.parse(started.expiresAt) - Date.now();
  // At expiry, ask the server: its 401 brings the login screen back with the reason.
  expiryTimer = window.setTimeout(() => void api.me().catch(() => undefined), Math.min(MAX_TIMER_MS, Math.max(0, msLeft) + 1000));
}

async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // Already logged out on the server: nothing to undo.
  }
  showLogin({ text: 'You have logged out.', problem: false });
}

function render(): void {
  if (!session || !shell) return;
  const path = pathOfHash(location.hash);
  const route = findRoute(path);
  if (!route || !route.roles.includes(session.user.role)) {
    location.replace(`#/${homeOf(session.user.role)}`);
    return;
  }
  const first = view === null;
  shell.setCurrent(route.path);
  document.title = `${route.title} — gramlens`;
  mount(route.create({ user: session.user }), shell.main);
  // Move focus to the new screen's heading so screen readers announce the change (not on first load).
  if (!first) shell.main.querySelector<HTMLElement>('h1')?.focus();
}

onSessionLost((serverMessage) => {
  if (!session) return;
  const expired = Date.now() >= Date.parse(session.expiresAt);
  showLogin(expired || /expired/i.test(serverMessage) ? EXPIRED : { text: serverMessage, problem: true });
});

window.addEventListener('hashchange', render);

declare global {
  interface Window {
    /** The page's offline API for scripts in the page (the browser tests queue device predictions through it). */
    gramlensOffline: Pick<typeof offline, 'queueDevicePrediction' | 'queueVerdict' | 'queuedItems' | 'syncOutbox' | 'heldModelVersion' | 'cacheModelFiles' | 'provideModelFiles'>;
  }
}
window.gramlensOffline = {
  queueDevicePrediction: offline.queueDevicePrediction,
  queueVerdict: offline.queueVerdict,
  queuedItems: offline.queuedItems,
  syncOutbox: offline.syncOutbox,
  heldModelVersion: offline.heldModelVersion,
  cacheModelFiles: offline.cacheModelFiles,
  provideModelFiles: offline.provideModelFiles,
};

async function boot(): Promise<void> {
  void registerServiceWorker();
  provideModelFiles(modelFilesForOffline);
  try {
    startSession(await api.me());
    render();
  } catch (error) {
    const offline = error instanceof ApiError && error.status === 0 ? rememberedSession() : null;
    if (offline) {
      // No network: the last session's screens, from the cached app; the server checks the cookie when it is back.
      startSession(offline);
      render();
    } else if (error instanceof ApiError && error.status === 0) showLogin(NO_NETWORK);
    else if (error instanceof ApiError && error.status === 401) showLogin(/expired/i.test(error.message) ? EXPIRED : null);
    else replace(root, h('main', { class: 'fatal' }, h('h1', {}, 'gramlens cannot start'), h('p', { attrs: { role: 'alert' } }, messageOf(error))));
  }
}

void boot();
