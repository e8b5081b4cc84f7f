export { createRng, type Rng } from './random.ts';
export { hashSeed } from './hash.ts';
export { redactedUrl } from './url.ts';
