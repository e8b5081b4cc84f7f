import { join } from 'node:path';

/** The workplace's read-only datasets, beside the repository (`../shared/datasets`); tests that need them skip when absent. */
export const SHARED_DATASETS = join(import.meta.dirname, '../../shared/datasets');
