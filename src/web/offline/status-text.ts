import type { ActiveModelVersion } from '../../contract/index.ts';

/** The connection and what waits to be sent, in words for the clinician's screen. */
export function outboxSummary(online: boolean, waiting: number, rejected: number): string {
  const items = (n: number) => (n === 1 ? '1 item' : `${n} items`);
  const connection = online ? 'Online.' : 'Offline: what you do is kept on this device and sent when the network is back.';
  const queue = waiting === 0 ? '' : online ? ` ${items(waiting)} waiting to be sent.` : ` ${items(waiting)} kept on this device.`;
  const refused = rejected === 0 ? '' : ` ${items(rejected)} refused by the server (kept on this device).`;
  return `${connection}${queue}${refused}`;
}

export type ModelState = 'none' | 'current' | 'outdated' | 'unknown';

/** Whether the model this device holds is the server's current one (unknown without a network or an active model). */
export function modelState(held: ActiveModelVersion | null, server: ActiveModelVersion | null): ModelState {
  if (!held) return 'none';
  if (!server) return 'unknown';
  return held.id === server.id && held.modelVersion === server.modelVersion ? 'current' : 'outdated';
}

export function modelSummary(held: ActiveModelVersion | null, server: ActiveModelVersion | null): string {
  const name = (model: ActiveModelVersion) => `${model.name} ${model.version}`;
  switch (modelState(held, server)) {
    case 'none':
      return server ? `The server's model is ${name(server)}; this device holds no model for offline use.` : 'This device holds no model for offline use.';
    case 'current':
      return `This device holds the server's current model, ${name(held!)}.`;
    case 'outdated':
      return `This device holds ${name(held!)}; the server's current model is ${name(server!)}.`;
    case 'unknown':
      return `This device holds ${name(held!)} (whether it is the server's current one is checked when online).`;
  }
}
