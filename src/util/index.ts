export { createRng, type Rng } from './random.ts';
export { hashSeed } from './hash.ts';
