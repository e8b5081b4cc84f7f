import { api, messageOf } from '../../api.ts';
import { busy, h } from '../../dom.ts';
import type { ActiveModelVersion } from '../../../contract/index.ts';
import { canKeepModels, heldModelVersion, isOnline, keepModel, onOutboxChange, queuedItems } from '../../offline/index.ts';
import { modelState, modelSummary, outboxSummary } from '../../offline/status-text.ts';

/** How often the screen asks the server again while it cannot reach it. */
const PROBE_MS = 15_000;

/**
 * The clinician's offline bits: the connection, what waits to be sent (this user's only), and the
 * model this device holds against the server's current one: a newer one is fetched when online, the
 * first one when the user asks.
 */
export function offlineStatus(): { element: HTMLElement; dispose(): void } {
  const connection = h('p', { class: 'offline-queue', attrs: { role: 'status', 'aria-live': 'polite' } });
  const model = h('p', { class: 'offline-model' });
  const fetchModel = h('button', { type: 'button', class: 'button', hidden: true }, 'Get the current model');
  const element = h('section', { class: 'offline-status', attrs: { 'aria-label': 'Offline use' } }, connection, model, fetchModel);
  let server: ActiveModelVersion | null = null;

  const showQueue = async () => {
    const items = await queuedItems().catch(() => []);
    const rejected = items.filter((item) => item.rejected !== null).length;
    connection.textContent = outboxSummary(isOnline(), items.length - rejected, rejected);
    element.classList.toggle('is-offline', !isOnline());
  };
  const showModel = () => {
    const held = heldModelVersion();
    model.textContent = modelSummary(held, server);
    const state = modelState(held, server);
    fetchModel.hidden = !(server && canKeepModels() && (state === 'none' || state === 'outdated'));
  };
  /** Also the probe that notices the server again when no event says so (a network without the server). */
  const checkServer = async () => {
    if (!navigator.onLine) return showModel();
    const fresh = await api.activeModelVersion().catch(() => null);
    if (fresh) server = fresh;
    showModel();
    // A device set up for offline use keeps up with the server by itself (only on the server's own answer, not a remembered one); the first model is the user's choice (a download).
    if (fresh && canKeepModels() && modelState(heldModelVersion(), server) === 'outdated' && !fetchModel.disabled) fetchCurrent();
  };
  const fetchCurrent = () => {
    if (!server) return;
    const wanted = server;
    void busy(fetchModel, async () => {
      model.textContent = `Fetching ${wanted.name} ${wanted.version}…`;
      try {
        await keepModel(wanted);
        showModel();
      } catch (error) {
        model.textContent = messageOf(error);
      }
    });
  };
  fetchModel.addEventListener('click', fetchCurrent);

  const connectionChanged = () => {
    void showQueue();
    void checkServer();
  };
  window.addEventListener('online', connectionChanged);
  window.addEventListener('offline', connectionChanged);
  const stopListening = onOutboxChange(() => void showQueue());
  const probe = window.setInterval(() => {
    if (!isOnline()) void checkServer();
  }, PROBE_MS);
  connectionChanged();
  return {
    element,
    dispose: () => {
      window.removeEventListener('online', connectionChanged);
      window.removeEventListener('offline', connectionChanged);
      window.clearInterval(probe);
      stopListening();
    },
  };
}
