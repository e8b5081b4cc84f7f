import { describe, expect, it } from 'vitest';
import { applyTemperature, expectedCalibrationError, fitTemperature } from '../../src/evaluate/index.ts';
import { chooseCalibration, logitsOfProbabilities, recalibrateOnSite } from '../../src/pipeline/index.ts';
import { createRng } from '../../src/util/index.ts';

/**
 * n images of 3 classes whose labels are drawn from softmax(z): z is calibrated by construction,
 * and `overconfidence` × z is what an overconfident model outputs.
 */
function overconfidentSite(n: number, overconfidence: number, seed: number) {
  const rng = createRng(seed);
  const k = 3;
  const logits = new Float32Array(n * k);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, () => 1.5 * rng.normal());
    const total = z.reduce((sum, v) => sum + Math.exp(v), 0);
    let u = rng.next() * total;
    labels[i] = k - 1;
    for (let c = 0; c < k; c++) {
      u -= Math.exp(z[c]);
      if (u <= 0) {
        labels[i] = c;
        break;
      }
    }
    z.forEach((v, c) => (logits[i * k + c] = overconfidence * v));
  }
  return { logits, labels, groups: Array.from({ length: n }, (_, i) => `patient ${Math.floor(i / 2)}`), classes: ['a', 'b', 'c'] };
}

describe('chooseCalibration', () => {
  it('fits the temperature and chooses the referral level and operating points on the calibrated probabilities', () => {
    const site = overconfidentSite(400, 3, 1);
    const choice = chooseCalibration(site.logits, site.labels, site.classes, { targetSensitivity: 0.9, referralTargetAccuracy: 0.8 });
    expect(choice.temperature).toBe(fitTemperature(site.logits, site.labels));
    expect(choice.probabilities).toEqual(applyTemperature(site.logits, choice.temperature, 3));
    expect(choice.operatingPoints.map((point) => point.class)).toEqual(['a', 'b', 'c']);
    for (const [c, point] of choice.operatingPoints.entries()) {
      expect(point.targetSensitivity).toBe(0.9);
      const positives = Array.from(site.labels.keys()).filter((i) => site.labels[i] === c);
      const caught = positives.filter((i) => choice.probabilities[i * 3 + c] >= point.threshold).length;
      expect(caught / positives.length).toBeGreaterThanOrEqual(0.9);
    }
    expect(choice.referBelow).toBeGreaterThan(1 / 3);
    const kept = Array.from(site.labels.keys()).filter((i) => Math.max(...choice.probabilities.subarray(i * 3, i * 3 + 3)) >= choice.referBelow!);
    const correct = kept.filter((i) => {
      const row = Array.from(choice.probabilities.subarray(i * 3, i * 3 + 3));
      return row.indexOf(Math.max(...row)) === site.labels[i];
    });
    expect(correct.length / kept.length).toBeGreaterThanOrEqual(0.8);
  });
});

describe('recalibrateOnSite', () => {
  it('undoes a site overconfidence: T near the factor, and a cross-fitted ECE far below the current one', () => {
    const site = overconfidentSite(1200, 3, 2);
    const result = recalibrateOnSite({ ...site, currentTemperature: 1, seed: 1 });
    expect(result.images).toBe(1200);
    expect(result.patients).toBe(600);
    expect(result.folds).toBe(5);
    expect(result.choice.temperature).toBeGreaterThan(2.6);
    expect(result.choice.temperature).toBeLessThan(3.4);
    expect(result.current.ece).toBeCloseTo(expectedCalibrationError(site.labels, applyTemperature(site.logits, 1, 3)), 10);
    expect(result.current.ece).toBeGreaterThan(0.1);
    expect(result.recalibrated.ece).toBeLessThan(0.04);
    expect(result.recalibrated.meanConfidence).toBeLessThan(result.current.meanConfidence);
    expect(result.recalibrated.brier).toBeLessThan(result.current.brier);
    expect(result.eceFloor).toBeGreaterThan(0);
    expect(result.eceFloor).toBeLessThan(0.04);
  });

  it('measures the bundle as it is: a bundle already at the right temperature gains nothing', () => {
    const site = overconfidentSite(1200, 3, 3);
    const result = recalibrateOnSite({ ...site, currentTemperature: 3, seed: 1 });
    expect(result.choice.temperature / 3).toBeGreaterThan(0.9);
    expect(result.choice.temperature / 3).toBeLessThan(1.1);
    expect(Math.abs(result.recalibrated.ece - result.current.ece)).toBeLessThan(0.02);
  });

  it('never scores an image with a temperature fitted on its own patient', () => {
    // Two patients, same logits: the model is right on every image of one and wrong on every image
    // of the other. Held out by patient, each is scored by a temperature fitted on the other alone
    // (confidently wrong, then timidly right); folds that split patients would fit both at once and
    // score every image near 1/2, the calibrated answer.
    const n = 40;
    const logits = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) logits[i * 3] = 2;
    const labels = Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 1 : 0));
    const groups = Array.from({ length: n }, (_, i) => (i < n / 2 ? 'wrong' : 'right'));
    const result = recalibrateOnSite({ logits, labels, groups, classes: ['a', 'b', 'c'], currentTemperature: 1, folds: 2 });
    expect(result.folds).toBe(2);
    expect(result.recalibrated.ece).toBeGreaterThan(0.7);
  });

  it('uses as many folds as there are patients when they are fewer', () => {
    const site = overconfidentSite(60, 2, 5);
    const result = recalibrateOnSite({ ...site, groups: site.groups.map((_, i) => `p${i % 3}`), currentTemperature: 1 });
    expect(result.folds).toBe(3);
    expect(result.patients).toBe(3);
  });

  it('refuses sets it cannot calibrate on, with a reason', () => {
    const site = overconfidentSite(30, 2, 6);
    expect(() => recalibrateOnSite({ ...site, labels: new Int32Array(30), currentTemperature: 1 })).toThrow('at least two classes');
    expect(() => recalibrateOnSite({ ...site, groups: site.groups.map(() => 'one'), currentTemperature: 1 })).toThrow('at least two patients');
    expect(() => recalibrateOnSite({ ...site, groups: site.groups.slice(1), currentTemperature: 1 })).toThrow('a patient for each of the 30 images');
  });
});

describe('logitsOfProbabilities', () => {
  it('is log p, finite where the softmax underflowed to zero, and recovers the same softmax', () => {
    const probabilities = Float32Array.from([0.2, 0.8, 1, 0]);
    const logits = logitsOfProbabilities(probabilities);
    expect(logits[0]).toBeCloseTo(Math.log(0.2), 6);
    expect(Number.isFinite(logits[3])).toBe(true);
    const back = applyTemperature(logits, 1, 2);
    expect(back[0]).toBeCloseTo(0.2, 6);
    expect(back[2]).toBeCloseTo(1, 6);
  });
});
