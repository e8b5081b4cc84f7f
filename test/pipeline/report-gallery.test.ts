import { describe, expect, it } from 'vitest';
import { galleryPicks } from '../../src/pipeline/report.ts';

describe('galleryPicks', () => {
  // 3 classes; rows are test images, columns class probabilities.
  const labels = [0, 0, 0, 1, 1, 2];
  const probabilities = Float32Array.from([
    0.5, 0.3, 0.2, // image 0: correct, 0.5
    0.9, 0.05, 0.05, // image 1: correct, 0.9 (the most confident class-0 example)
    0.6, 0.2, 0.2, // image 2: correct, 0.6
    0.1, 0.45, 0.45, // image 3: correct, 0.45
    0.05, 0.7, 0.25, // image 4: correct, 0.7 (the most confident class-1 example)
    0.8, 0.1, 0.1, // image 5: wrong (class 2 read as 0), 0.8
  ]);

  it('shows the most confident correct example of each class, in class order', () => {
    const { correct } = galleryPicks(labels, probabilities, 3);
    expect(correct.map((pick) => pick.index)).toEqual([1, 4]);
    expect(correct[0].confidence).toBeCloseTo(0.9, 6);
    expect(correct[1].confidence).toBeCloseTo(0.7, 6);
  });

  it('lists errors most confident first, at most perGroup of them', () => {
    const { wrong } = galleryPicks(labels, probabilities, 1);
    expect(wrong).toEqual([{ index: 5, trueLabel: 2, predicted: 0, confidence: expect.closeTo(0.8, 6) }]);
  });
});
