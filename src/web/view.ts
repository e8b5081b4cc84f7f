import type { SessionUser } from '../contract/index.ts';

/** A mounted screen; dispose undoes what it set up outside its element (listeners, streams, timers). */
export interface View {
  element: HTMLElement;
  dispose?(): void;
}

export interface ViewContext {
  user: SessionUser;
}
