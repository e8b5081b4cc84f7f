import { describe, expect, it } from 'vitest';
import { mostConfidentErrors } from '../../src/report/index.ts';
import { pngDataUri, toErrorExample } from '../../src/report/errors.ts';
import { solidPng } from './fixtures.ts';

describe('mostConfidentErrors', () => {
  // 3 classes; rows: label, then probabilities.
  const rows: [number, number[]][] = [
    [0, [0.9, 0.05, 0.05]], // right
    [0, [0.2, 0.7, 0.1]], // wrong, 0.7
    [1, [0.05, 0.05, 0.9]], // wrong, 0.9
    [2, [0.6, 0.3, 0.1]], // wrong, 0.6
    [1, [0.1, 0.8, 0.1]], // right
    [2, [0.1, 0.9, 0.0]], // wrong, 0.9 (tie with row 2: lower index first)
    [1, [0.4, 0.4, 0.2]], // argmax tie → class 0 (first), wrong, 0.4
  ];
  const labels = Int32Array.from(rows.map(([label]) => label));
  const probabilities = Float64Array.from(rows.flatMap(([, p]) => p));

  it('returns the wrong predictions, most confident first, ties by index', () => {
    expect(mostConfidentErrors(labels, probabilities, 3, 10)).toEqual([
      { index: 2, trueLabel: 1, predicted: 2, confidence: 0.9 },
      { index: 5, trueLabel: 2, predicted: 1, confidence: 0.9 },
      { index: 1, trueLabel: 0, predicted: 1, confidence: 0.7 },
      { index: 3, trueLabel: 2, predicted: 0, confidence: 0.6 },
      { index: 6, trueLabel: 1, predicted: 0, confidence: 0.4 },
    ]);
  });

  it('keeps only the first n', () => {
    expect(mostConfidentErrors(labels, probabilities, 3, 2).map((e) => e.index)).toEqual([2, 5]);
    expect(mostConfidentErrors(labels, probabilities, 3, 0)).toEqual([]);
  });

  it('rejects probabilities of the wrong size', () => {
    expect(() => mostConfidentErrors(labels, probabilities, 4, 2)).toThrow(/probabilities/);
  });
});

describe('error examples', () => {
  it('embeds a PNG thumbnail as a data URI', async () => {
    const png = await solidPng([200, 0, 0], 4);
    const example = toErrorExample({ index: 3, source: 'a.png', trueLabel: 0, predicted: 1, confidence: 0.9, thumbnailPng: png }, 2);
    expect(example.thumbnail).toBe(`data:image/png;base64,${Buffer.from(png).toString('base64')}`);
    expect(toErrorExample({ index: 3, source: 'a.png', trueLabel: 0, predicted: 1, confidence: 0.9 }, 2).thumbnail).toBeNull();
  });

  it('rejects a thumbnail that is not a PNG and labels outside the classes', () => {
    expect(() => pngDataUri(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0]))).toThrow(/not a PNG/);
    expect(() => toErrorExample({ index: 0, source: 'a.png', trueLabel: 2, predicted: 0, confidence: 0.5 }, 2)).toThrow(/trueLabel 2/);
  });
});
