/** Milliseconds since the epoch; injectable so tests can move time (session expiry, rate limits). */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
