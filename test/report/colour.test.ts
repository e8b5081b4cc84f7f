import { describe, expect, it } from 'vitest';
import { colourRamp, relativeLuminance, textColourFor } from '../../src/report/colour.ts';

const contrast = (a: string, b: string) => {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
};

describe('colourRamp', () => {
  it('runs from white to dark blue', () => {
    expect(colourRamp(0)).toBe('#ffffff');
    expect(colourRamp(1)).toBe('#08306b');
  });

  it('clamps out-of-range values and treats NaN as empty', () => {
    expect(colourRamp(-1)).toBe('#ffffff');
    expect(colourRamp(2)).toBe('#08306b');
    expect(colourRamp(Number.NaN)).toBe('#ffffff');
  });

  it('gets darker as t grows', () => {
    const luminances = Array.from({ length: 21 }, (_, i) => relativeLuminance(colourRamp(i / 20)));
    luminances.slice(1).forEach((luminance, i) => expect(luminance).toBeLessThan(luminances[i]));
  });
});

describe('textColourFor', () => {
  it('puts black on light and white on dark backgrounds', () => {
    expect(textColourFor('#ffffff')).toBe('#000000');
    expect(textColourFor('#08306b')).toBe('#ffffff');
  });

  it('keeps text readable (WCAG AA, contrast >= 4.5) on every shade of the ramp', () => {
    for (let i = 0; i <= 100; i++) {
      const background = colourRamp(i / 100);
      expect(contrast(background, textColourFor(background))).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('rejects a colour that is not #rrggbb', () => {
    expect(() => textColourFor('blue')).toThrow(/#rrggbb/);
  });
});
