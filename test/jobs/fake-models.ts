import { createHash } from 'node:crypto';
import type { JobModels } from '../../src/jobs/index.ts';

export interface FakeJobModels extends JobModels {
  /** sha256 of every image predicted or explained, in order. */
  readonly seen: string[];
  /** Models loaded and not disposed. */
  readonly loaded: number;
  /** Lets `count` more images through (with `gated`; default: all from now on). */
  allow(count?: number): void;
}

export interface FakeJobModelsOptions {
  /** Milliseconds each image takes. */
  itemMs?: number;
  /** Each image waits for allow() first. */
  gated?: boolean;
  /** Images (sha256) whose prediction throws. */
  failing?: ReadonlySet<string>;
  /** Images (sha256) the model refuses. */
  refused?: ReadonlySet<string>;
}

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The class a fake model answers for an image: 'a' or 'b' from its hash, uncertain for a sixteenth of them. */
export function fakeAnswerOf(sha256: string): { label: 'a' | 'b'; uncertain: boolean } {
  return { label: parseInt(sha256[0], 16) < 8 ? 'a' : 'b', uncertain: sha256[1] === '0' };
}

/** Job models that answer from the image's hash ('a' or 'b'), refuse or fail the images named, and explain with a given PNG. */
export function fakeJobModels(heatmapPng: Buffer, options: FakeJobModelsOptions = {}): FakeJobModels {
  const { itemMs = 0, gated = false, failing = new Set(), refused = new Set() } = options;
  const seen: string[] = [];
  let loaded = 0;
  let permits = gated ? 0 : Infinity;
  const waiting: (() => void)[] = [];
  const passGate = (): Promise<void> => {
    if (permits > 0) {
      permits -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const visit = async (image: Buffer): Promise<string> => {
    const sha256 = sha256Of(image);
    seen.push(sha256);
    await passGate();
    if (itemMs > 0) await new Promise((resolve) => setTimeout(resolve, itemMs));
    if (failing.has(sha256)) throw new Error('cannot decode this image');
    return sha256;
  };
  const refusal = { code: 'blank' as const, reason: 'the image is blank or almost uniform' };
  return {
    seen,
    get loaded() {
      return loaded;
    },
    allow: (count = Infinity) => {
      permits += count;
      while (permits > 0 && waiting.length > 0) {
        permits -= 1;
        waiting.shift()!();
      }
    },
    async forScoring() {
      loaded += 1;
      return {
        modelVersion: 'fake-2.0',
        async predict(image) {
          const sha256 = await visit(image);
          if (refused.has(sha256)) return { modelVersion: 'fake-2.0', refusal };
          const { label, uncertain } = fakeAnswerOf(sha256);
          const other = label === 'a' ? 'b' : 'a';
          const top = { label, probability: uncertain ? 0.55 : 0.9 };
          return { modelVersion: 'fake-2.0', classes: [top, { label: other, probability: 1 - top.probability }], top, uncertain, heatmapPng: null };
        },
        dispose: async () => {
          loaded -= 1;
        },
      };
    },
    async forExplaining() {
      loaded += 1;
      return {
        modelVersion: 'fake-2.0',
        async explain(image, { targetClass }) {
          const sha256 = await visit(image);
          if (refused.has(sha256)) return { refusal };
          return { target: { label: targetClass ?? fakeAnswerOf(sha256).label, probability: 0.8 }, heatmapPng };
        },
        dispose: async () => {
          loaded -= 1;
        },
      };
    },
  };
}
