export { createRng, type Rng } from './random.ts';
export { writeDirAtomically, writeFileAtomically } from './atomic.ts';
export { hashSeed } from './hash.ts';
