import type { Session } from '../../contract/index.ts';

const SESSION_KEY = 'gramlens.session';

/**
 * The last session's user, so that the app opens without a network: only until the session would
 * have expired, and never after a logout or a session the server ended. The cookie stays the proof:
 * nothing is sent without it.
 */
export function rememberSession(session: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession(): void {
  localStorage.removeItem(SESSION_KEY);
}

export function rememberedSession(now = Date.now()): Session | null {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return session && Date.parse(session.expiresAt) > now ? session : null;
  } catch {
    return null;
  }
}
