/** What went wrong, in terms a caller can map to a response (the HTTP layer maps kinds to 4xx codes). */
export type StoreErrorKind = 'invalid' | 'not-found' | 'conflict' | 'too-large' | 'unsupported-media' | 'undecodable' | 'busy';

/** A refusal caused by the caller's input, with a message fit to show to a user. */
export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function notFound(message: string): StoreError {
  return new StoreError('not-found', message);
}

export function invalid(message: string): StoreError {
  return new StoreError('invalid', message);
}
