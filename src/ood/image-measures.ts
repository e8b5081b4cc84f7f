/**
 * Cheap statistics of a photo that tell a stained bright-field slide from things no Gram-stain model
 * can read: blank or uniform images, noise, greyscale pictures, dark scenes, colours no stain makes.
 * Photos are 8-bit RGB, row-major, interleaved (HWC). No Node APIs: this runs in the browser too.
 */

/** A disc in photo pixels (the eyepiece's field of view); the measures look only inside it. */
export interface Disc {
  cx: number;
  cy: number;
  r: number;
}

export interface ImageMeasures {
  /** Pixels measured (inside the disc, on the overview copy). */
  pixels: number;
  /** 99th minus 1st percentile of luminance (0..1): near 0 for a blank or uniform image. */
  luminanceSpread: number;
  /** 99th percentile of chroma (largest minus smallest of R, G, B; 0..1): near 0 for greyscale. */
  chroma: number;
  /** 90th percentile of luminance: the clear glass of a bright-field slide is bright. */
  brightLuminance: number;
  /** Share of pixels with a clear colour (chroma ≥ 0.15) whose hue lies between yellow-green and sky blue, where no Gram stain is. */
  offStainShare: number;
  /** Correlation of neighbouring pixels' luminance at full resolution: near 0 for noise, high for anything optics made. */
  neighbourCorrelation: number;
  /** RMS of neighbouring pixels' luminance difference over √2 at full resolution: the fine-grain noise level (0..1). */
  fineNoise: number;
  /**
   * How coloured the marks are for how dark they are: the median, over marked pixels (optical density
   * ≥ MARK_DENSITY in some channel against the paper), of chroma / (90th-percentile luminance − luminance).
   * Stained organisms and cells are coloured (≥ 0.27 on GramStainR photos); ink and pencil are not
   * (≤ 0.24 on pages of text). Null when fewer than MIN_MARKED_SHARE of the pixels are marked.
   */
  inkChroma: number | null;
  /** The paper: the mean colour of the brightest fifth of the pixels, its chroma and luminance (0..1). */
  paperChroma: number;
  paperLuminance: number;
  /**
   * Share of the marked pixels (not clipped black) whose right and lower neighbours have exactly their
   * colour: the flat fills of a drawing or a screenshot (≥ 0.3 in most), never the blurred, noisy
   * objects a camera photographs through a microscope (≤ 0.05). Null when too few pixels are marked.
   */
  flatMarkShare: number | null;
}

/** Longest side of the overview copy the colour and spread measures are taken on. */
export const OVERVIEW_SIDE = 256;
/** Side of the full-resolution windows the texture measures are taken on, and how many at most. */
export const TEXTURE_WINDOW = 128;
const MAX_TEXTURE_WINDOWS = 9;
/** Chroma from which a pixel counts as clearly coloured. */
const CLEAR_CHROMA = 0.15;
/** Hues (degrees) between yellow-green and sky blue: no crystal violet, safranin, or mounting background is there. */
export const OFF_STAIN_HUES: readonly [number, number] = [75, 200];

const LUMA = [0.299, 0.587, 0.114] as const;
/** Optical density (log10) in some channel from which a pixel counts as marked (stained or inked). */
const MARK_DENSITY = 0.3;
/**
 * Luminance below which a mark is clipped black (a camera's dark corners, the black beyond the
 * eyepiece): flat in any photo, so not counted in flatMarkShare.
 */
const CLIPPED_DARK = 0.08;
/** Below this share of marked pixels there are too few marks to judge their colour. */
const MIN_MARKED_SHARE = 0.005;

/** The measures of one photo, inside `disc` when given (else the whole frame). */
export function measureImage(rgb: Uint8Array, width: number, height: number, disc?: Disc): ImageMeasures {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || rgb.length !== width * height * 3) {
    throw new Error(`expected ${width}x${height} RGB pixels, got ${rgb.length} values`);
  }
  const inside = discTest(disc);
  return { ...colourMeasures(rgb, width, height, inside), ...textureMeasures(rgb, width, height, inside) };
}

function discTest(disc: Disc | undefined): (x: number, y: number) => boolean {
  if (!disc) return () => true;
  const r2 = disc.r * disc.r;
  return (x, y) => (x - disc.cx) ** 2 + (y - disc.cy) ** 2 <= r2;
}

/** Histogram bins of luminance and chroma (0..1) for their quantiles. */
const BINS = 1024;

/** Spread, chroma, brightness and off-stain colours on a block-averaged copy with a long side near OVERVIEW_SIDE. */
function colourMeasures(rgb: Uint8Array, width: number, height: number, inside: (x: number, y: number) => boolean) {
  const factor = Math.max(1, Math.round(Math.max(width, height) / OVERVIEW_SIDE));
  const luminance = new Float64Array(BINS);
  const chroma = new Float64Array(BINS);
  const bin = (value: number) => Math.min(BINS - 1, Math.max(0, Math.floor(value * BINS)));
  const scale = 1 / (255 * factor * factor);
  let n = 0;
  let offStain = 0;
  const overview: Overview = { width: Math.floor(width / factor), height: Math.floor(height / factor), rgb: [], inside: [] };
  for (let oy = 0; oy + factor <= height; oy += factor) {
    for (let ox = 0; ox + factor <= width; ox += factor) {
      const within = inside(ox + factor / 2, oy + factor / 2);
      overview.inside.push(within);
      if (!within) {
        overview.rgb.push(0, 0, 0);
        continue;
      }
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = oy; y < oy + factor; y++) {
        for (let x = ox, i = (y * width + ox) * 3; x < ox + factor; x++, i += 3) {
          r += rgb[i];
          g += rgb[i + 1];
          b += rgb[i + 2];
        }
      }
      r *= scale;
      g *= scale;
      b *= scale;
      overview.rgb.push(r, g, b);
      const c = Math.max(r, g, b) - Math.min(r, g, b);
      n++;
      luminance[bin(LUMA[0] * r + LUMA[1] * g + LUMA[2] * b)]++;
      chroma[bin(c)]++;
      if (c >= CLEAR_CHROMA) {
        const h = hueOf(r, g, b);
        if (h >= OFF_STAIN_HUES[0] && h <= OFF_STAIN_HUES[1]) offStain++;
      }
    }
  }
  if (n === 0) return { pixels: 0, luminanceSpread: 0, chroma: 0, brightLuminance: 0, offStainShare: 0, inkChroma: null, paperChroma: 0, paperLuminance: 0, flatMarkShare: null };
  const brightLuminance = binQuantile(luminance, n, 0.9);
  return {
    pixels: n,
    luminanceSpread: binQuantile(luminance, n, 0.99) - binQuantile(luminance, n, 0.01),
    chroma: binQuantile(chroma, n, 0.99),
    brightLuminance,
    offStainShare: offStain / n,
    // The lower edge of the quantile's bin, so that the pixels in that bin count as paper.
    ...inkMeasures(overview, binQuantile(luminance, n, 0.8) - 0.5 / BINS, brightLuminance),
  };
}

/** The block-averaged copy the colour measures are taken on: RGB triples (0..1), row-major, and which of them lie inside the disc. */
export interface Overview {
  width: number;
  height: number;
  rgb: number[];
  inside: boolean[];
}

/**
 * The paper (mean colour of the pixels inside at or above the `paperFrom` luminance), how coloured
 * the marks on it are (inkChroma), and how many of the marks are flat fills (flatMarkShare).
 */
export function inkMeasures(overview: Overview, paperFrom: number, brightLuminance: number): Pick<ImageMeasures, 'inkChroma' | 'paperChroma' | 'paperLuminance' | 'flatMarkShare'> {
  const { rgb, inside } = overview;
  const luminanceAt = (i: number) => LUMA[0] * rgb[i] + LUMA[1] * rgb[i + 1] + LUMA[2] * rgb[i + 2];
  const paper = [0, 0, 0];
  let n = 0;
  let bright = 0;
  for (let p = 0; p < inside.length; p++) {
    if (!inside[p]) continue;
    n++;
    if (luminanceAt(p * 3) < paperFrom) continue;
    for (let c = 0; c < 3; c++) paper[c] += rgb[p * 3 + c];
    bright++;
  }
  for (let c = 0; c < 3; c++) paper[c] = Math.max(paper[c] / Math.max(bright, 1), 1e-3);
  const ratios: number[] = [];
  let unclipped = 0;
  let flat = 0;
  for (let p = 0; p < inside.length; p++) {
    if (!inside[p]) continue;
    const i = p * 3;
    let density = 0;
    for (let c = 0; c < 3; c++) density = Math.max(density, -Math.log10(Math.max(rgb[i + c], 1 / 255) / paper[c]));
    if (density < MARK_DENSITY) continue;
    const chroma = Math.max(rgb[i], rgb[i + 1], rgb[i + 2]) - Math.min(rgb[i], rgb[i + 1], rgb[i + 2]);
    const luminance = luminanceAt(i);
    ratios.push(chroma / Math.max(brightLuminance - luminance, 1e-3));
    if (luminance < CLIPPED_DARK) continue;
    unclipped++;
    if (sameAsNeighbours(overview, p)) flat++;
  }
  ratios.sort((a, b) => a - b);
  const enough = (marks: number) => marks >= MIN_MARKED_SHARE * n && marks > 0;
  return {
    inkChroma: enough(ratios.length) ? ratios[Math.floor(ratios.length / 2)] : null,
    paperChroma: Math.max(...paper) - Math.min(...paper),
    paperLuminance: LUMA[0] * paper[0] + LUMA[1] * paper[1] + LUMA[2] * paper[2],
    flatMarkShare: enough(unclipped) ? flat / unclipped : null,
  };
}

/** Whether the overview pixel p has exactly the colour of its right and its lower neighbour (both inside). */
function sameAsNeighbours({ rgb, inside, width }: Overview, p: number): boolean {
  const right = p + 1;
  const below = p + width;
  if (right % width === 0 || below >= inside.length || !inside[right] || !inside[below]) return false;
  for (let c = 0; c < 3; c++) {
    if (rgb[p * 3 + c] !== rgb[right * 3 + c] || rgb[p * 3 + c] !== rgb[below * 3 + c]) return false;
  }
  return true;
}

/** The value (bin centre) below which a share q of the n counted values lie. */
function binQuantile(counts: Float64Array, n: number, q: number): number {
  const target = q * n;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= target && counts[i] > 0) return (i + 0.5) / counts.length;
  }
  return 1;
}

/** Hue in degrees (0..360) of an RGB colour with some chroma. */
export function hueOf(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const c = max - Math.min(r, g, b);
  if (c === 0) return 0;
  let h: number;
  if (max === r) h = ((g - b) / c) % 6;
  else if (max === g) h = (b - r) / c + 2;
  else h = (r - g) / c + 4;
  return (h * 60 + 360) % 360;
}

/**
 * Neighbour correlation and fine-grain noise over up to MAX_TEXTURE_WINDOWS full-resolution windows
 * spread over the disc: downscaling would average noise away, and optics never make pixels that
 * vary independently of their neighbours.
 */
function textureMeasures(rgb: Uint8Array, width: number, height: number, inside: (x: number, y: number) => boolean) {
  const side = Math.min(TEXTURE_WINDOW, width, height);
  let n = 0;
  let pixels = 0;
  let sumSquares = 0;
  let products = 0;
  let differenceSquares = 0;
  for (const [left, top] of textureWindows(width, height, side, inside)) {
    const lum = new Float32Array(side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0, i = ((top + y) * width + left) * 3; x < side; x++, i += 3) lum[y * side + x] = (LUMA[0] * rgb[i] + LUMA[1] * rgb[i + 1] + LUMA[2] * rgb[i + 2]) / 255;
    }
    let mean = 0;
    for (const v of lum) mean += v;
    mean /= lum.length;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = lum[y * side + x] - mean;
        pixels++;
        sumSquares += v * v;
        // Each pixel with its right and its lower neighbour.
        if (x + 1 < side) {
          const right = lum[y * side + x + 1] - mean;
          products += v * right;
          differenceSquares += (v - right) * (v - right);
          n++;
        }
        if (y + 1 < side) {
          const below = lum[(y + 1) * side + x] - mean;
          products += v * below;
          differenceSquares += (v - below) * (v - below);
          n++;
        }
      }
    }
  }
  if (n === 0 || sumSquares === 0) return { neighbourCorrelation: 1, fineNoise: 0 };
  // Deviations are from each window's own mean, so that uneven light does not pass for texture.
  const variance = sumSquares / pixels;
  return {
    neighbourCorrelation: products / n / variance,
    fineNoise: Math.sqrt(differenceSquares / n / 2),
  };
}

/** Top-left corners of up to a 3 × 3 grid of windows whose centres lie inside the disc. */
function textureWindows(width: number, height: number, side: number, inside: (x: number, y: number) => boolean): Array<[number, number]> {
  const per = Math.round(Math.sqrt(MAX_TEXTURE_WINDOWS));
  const corners: Array<[number, number]> = [];
  for (let gy = 0; gy < per; gy++) {
    for (let gx = 0; gx < per; gx++) {
      const left = Math.round(((width - side) * (gx + 0.5)) / per);
      const top = Math.round(((height - side) * (gy + 0.5)) / per);
      if (inside(left + side / 2, top + side / 2)) corners.push([left, top]);
    }
  }
  // Identical windows on a small image count once.
  return corners.filter(([l, t], i) => corners.findIndex(([l2, t2]) => l2 === l && t2 === t) === i);
}
