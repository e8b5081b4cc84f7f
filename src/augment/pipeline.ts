import type { RawImage } from '../data/index.ts';
import type { Rng } from '../util/index.ts';
import { gaussianBlur } from './blur.ts';
import { GRAM_SAFE_LIMITS, colourJitter } from './colour.ts';
import { flipHorizontal, flipVertical, rotate, rotate90, shift, zoom } from './geometry.ts';
import { addGaussianNoise, adjustBrightness, adjustContrast, adjustGamma, cutout } from './intensity.ts';

/** A transform with randomly drawn strength; `params` are its ranges, recorded by describe(). */
export interface Transform {
  readonly name: string;
  readonly params: Readonly<Record<string, number>>;
  apply(image: RawImage, rng: Rng): RawImage;
}

export interface PipelineStep {
  transform: Transform;
  /** Chance that the transform runs on a given image. */
  probability: number;
}

export interface StepDescription {
  name: string;
  probability: number;
  params: Record<string, number>;
}

export interface Pipeline {
  apply(image: RawImage, rng: Rng): RawImage;
  applyBatch(images: readonly RawImage[], rng: Rng): RawImage[];
  /** The steps in order, for the run record. */
  describe(): StepDescription[];
}

/** Runs the steps in order, each with its own probability; every random choice comes from `rng`. */
export function compose(steps: readonly PipelineStep[]): Pipeline {
  for (const { transform, probability } of steps) {
    if (!(probability >= 0 && probability <= 1)) throw new Error(`Probability of ${transform.name} must be in 0..1, got ${probability}`);
  }
  const apply = (image: RawImage, rng: Rng): RawImage => {
    let current = image;
    for (const { transform, probability } of steps) {
      if (rng.chance(probability)) current = transform.apply(current, rng);
    }
    return current === image ? { ...image, data: image.data.slice() } : current;
  };
  return {
    apply,
    applyBatch: (images, rng) => images.map((image) => apply(image, rng)),
    describe: () => steps.map(({ transform, probability }) => ({ name: transform.name, probability, params: { ...transform.params } })),
  };
}

export const randomFlipHorizontal = (): Transform => ({ name: 'flip-horizontal', params: {}, apply: flipHorizontal });

export const randomFlipVertical = (): Transform => ({ name: 'flip-vertical', params: {}, apply: flipVertical });

/** 90°, 180° or 270°; non-square images only turn 180° so the batch shape stays fixed. */
export const randomRotate90 = (): Transform => ({
  name: 'rotate-90',
  params: {},
  apply: (image, rng) => rotate90(image, image.height === image.width ? 1 + rng.int(3) : 2),
});

export const randomRotation = ({ maxDegrees }: { maxDegrees: number }): Transform => ({
  name: 'rotate',
  params: { maxDegrees },
  apply: (image, rng) => rotate(image, rng.uniform(-maxDegrees, maxDegrees)),
});

export const randomShift = ({ maxFraction }: { maxFraction: number }): Transform => ({
  name: 'shift',
  params: { maxFraction },
  apply: (image, rng) =>
    shift(image, rng.uniform(-maxFraction, maxFraction) * image.height, rng.uniform(-maxFraction, maxFraction) * image.width),
});

export const randomZoom = ({ min, max }: { min: number; max: number }): Transform => ({
  name: 'zoom',
  params: { min, max },
  apply: (image, rng) => zoom(image, rng.uniform(min, max)),
});

export const randomBrightness = ({ maxDelta }: { maxDelta: number }): Transform => ({
  name: 'brightness',
  params: { maxDelta },
  apply: (image, rng) => adjustBrightness(image, rng.uniform(-maxDelta, maxDelta)),
});

export const randomContrast = ({ maxDelta }: { maxDelta: number }): Transform => ({
  name: 'contrast',
  params: { maxDelta },
  apply: (image, rng) => adjustContrast(image, 1 + rng.uniform(-maxDelta, maxDelta)),
});

/** Gamma drawn log-uniformly, so brightening and darkening are equally likely. */
export const randomGamma = ({ min, max }: { min: number; max: number }): Transform => ({
  name: 'gamma',
  params: { min, max },
  apply: (image, rng) => adjustGamma(image, Math.exp(rng.uniform(Math.log(min), Math.log(max)))),
});

export const randomBlur = ({ maxSigma }: { maxSigma: number }): Transform => ({
  name: 'blur',
  params: { maxSigma },
  apply: (image, rng) => gaussianBlur(image, rng.uniform(0.1, maxSigma)),
});

export const randomNoise = ({ maxSigma }: { maxSigma: number }): Transform => ({
  name: 'noise',
  params: { maxSigma },
  apply: (image, rng) => addGaussianNoise(image, rng.uniform(0, maxSigma), rng),
});

/** One rectangle, each side up to maxFraction of the image, filled with the channel means. */
export const randomCutout = ({ maxFraction }: { maxFraction: number }): Transform => ({
  name: 'cutout',
  params: { maxFraction },
  apply: (image, rng) => {
    const height = Math.max(1, Math.round(rng.uniform(0, maxFraction) * image.height));
    const width = Math.max(1, Math.round(rng.uniform(0, maxFraction) * image.width));
    return cutout(image, { top: rng.int(image.height - height + 1), left: rng.int(image.width - width + 1), height, width });
  },
});

/** Colour jitter within GRAM_SAFE_LIMITS (see colour.ts for why those bounds keep the Gram colour). */
export const randomGramSafeColourJitter = ({
  brightness,
  saturation,
  channelGain,
}: {
  brightness: number;
  saturation: number;
  channelGain: number;
}): Transform => {
  const settings = { brightness, saturation, channelGain };
  for (const [name, value] of Object.entries(settings)) {
    const limit = GRAM_SAFE_LIMITS[name as keyof typeof GRAM_SAFE_LIMITS];
    if (!(value >= 0 && value <= limit)) {
      throw new Error(`Colour jitter ${name} must be in 0..${limit} so the Gram colour stays readable, got ${value}`);
    }
  }
  const around1 = (rng: Rng, amount: number): number => 1 + rng.uniform(-amount, amount);
  return {
    name: 'color-jitter',
    params: settings,
    apply: (image, rng) =>
      colourJitter(image, {
        brightness: around1(rng, brightness),
        saturation: around1(rng, saturation),
        gains: [around1(rng, channelGain), around1(rng, channelGain), around1(rng, channelGain)],
      }),
  };
};
