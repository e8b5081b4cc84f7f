export { createRng, type Rng } from './random.ts';
