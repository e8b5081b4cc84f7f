import { downscaleGrey, downscaleLuminance, histogram, histogramQuantile, otsuThreshold, type GreyImage } from './image.ts';
import { closeSquare, fillHoles, largestComponent } from './mask.ts';

/**
 * The visible field of the microscope in photo pixels: the disc (cx, cy, r) intersected with the
 * photo. A photo cropped inside the field (no dark surround) gets a disc around the whole frame.
 */
export interface FieldOfView {
  cx: number;
  cy: number;
  r: number;
}

/** Longest side of the grey image the field of view is found on. */
export const FOV_WORK_SIDE = 400;
/** Below this 99th-percentile luminance the photo is dark: no lit field. */
export const DARK_PHOTO_LUMINANCE = 0.1;
/** Below this spread (99th minus 1st percentile) the photo is blank: all white or grey, no surround, no specimen. */
export const MIN_LUMINANCE_SPREAD = 0.05;
/** The eyepiece surround is nearly black: the field threshold never rises above this share of the bright level. */
const SURROUND_RATIO = 0.2;
/** The lit region must cover this share of the photo to count as a field. */
const MIN_FIELD_SHARE = 0.02;
/** A lit region covering this share of the photo is the whole frame (photo cropped inside the field). */
const FULL_FRAME_SHARE = 0.985;
/** Bites out of the lit region narrower than this share of the image (dark cells at the rim) are closed. */
const CLOSING_SHARE = 0.04;
/** Overlap (intersection over union) the fitted disc must have with the lit region. */
const MIN_DISC_AGREEMENT = 0.85;

/** Pixel centres x + 0.5, y + 0.5 of the edge of a region (the region's pixels beside an outside pixel), frame border excluded. */
function edgePoints(region: Uint8Array, width: number, height: number): { xs: Float64Array; ys: Float64Array } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      if (region[p] && (!region[p - 1] || !region[p + 1] || !region[p - width] || !region[p + width])) {
        xs.push(x + 0.5);
        ys.push(y + 0.5);
      }
    }
  }
  return { xs: Float64Array.from(xs), ys: Float64Array.from(ys) };
}

/** Algebraic (Kåsa) least-squares circle through the selected points; null when degenerate. */
function kasaFit(xs: Float64Array, ys: Float64Array, use: Uint8Array): FieldOfView | null {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < xs.length; i++) {
    if (!use[i]) continue;
    n++;
    mx += xs[i];
    my += ys[i];
  }
  if (n < 3) return null;
  mx /= n;
  my /= n;
  // Centred coordinates keep the normal equations well conditioned.
  let suu = 0, suv = 0, svv = 0, suuu = 0, svvv = 0, suvv = 0, svuu = 0;
  for (let i = 0; i < xs.length; i++) {
    if (!use[i]) continue;
    const u = xs[i] - mx;
    const v = ys[i] - my;
    suu += u * u;
    suv += u * v;
    svv += v * v;
    suuu += u * u * u;
    svvv += v * v * v;
    suvv += u * v * v;
    svuu += v * u * u;
  }
  const det = suu * svv - suv * suv;
  if (Math.abs(det) < 1e-9) return null;
  const bu = (suuu + suvv) / 2;
  const bv = (svvv + svuu) / 2;
  const uc = (bu * svv - bv * suv) / det;
  const vc = (bv * suu - bu * suv) / det;
  const r = Math.sqrt(uc * uc + vc * vc + (suu + svv) / n);
  return Number.isFinite(r) ? { cx: mx + uc, cy: my + vc, r } : null;
}

/**
 * Circle through edge points, robust to bites out of the edge (stained clumps at the rim, glare):
 * a least-squares fit, then refits on the points whose distance to the circle is typical.
 */
export function fitCircle(xs: Float64Array, ys: Float64Array): FieldOfView | null {
  const use = new Uint8Array(xs.length).fill(1);
  let circle = kasaFit(xs, ys, use);
  const residuals = new Float64Array(xs.length);
  for (let round = 0; round < 6 && circle; round++) {
    for (let i = 0; i < xs.length; i++) residuals[i] = Math.abs(Math.hypot(xs[i] - circle.cx, ys[i] - circle.cy) - circle.r);
    // Keep the best-fitting 80% (a bite is a minority of the edge), and anything within 1.5 px.
    const limit = Math.max(1.5, Float64Array.from(residuals).sort()[Math.floor(0.8 * (xs.length - 1))]);
    for (let i = 0; i < xs.length; i++) use[i] = residuals[i] <= limit ? 1 : 0;
    circle = kasaFit(xs, ys, use);
  }
  return circle;
}

/** Share of the pixel centres of a width x height grid that lie inside the disc. */
export function discCoverage(fov: FieldOfView, width: number, height: number): number {
  let inside = 0;
  const r2 = fov.r * fov.r;
  for (let y = 0.5; y < height; y++) {
    for (let x = 0.5; x < width; x++) if ((x - fov.cx) ** 2 + (y - fov.cy) ** 2 <= r2) inside++;
  }
  return inside / (width * height);
}

/** The disc around a whole frame: used when the photo is cropped inside the microscope field. */
export function wholeFrame(width: number, height: number): FieldOfView {
  return { cx: width / 2, cy: height / 2, r: Math.hypot(width, height) / 2 };
}

/** What the field search found: a disc (in the searched image's pixels) or a frame lit edge to edge. */
export type FieldFinding = { kind: 'disc'; disc: FieldOfView } | { kind: 'whole-frame' };

/**
 * Finds the lit eyepiece field on a small luminance image (a bright disc on a dark surround): Otsu
 * threshold (never above SURROUND_RATIO of the bright level), largest lit region closed and with
 * its holes filled, robust circle fit to its edge. Null for a dark or blank photo, or a lit region
 * that is not a disc.
 */
export function findFieldOfView(image: GreyImage): FieldFinding | null {
  const { data, width, height } = image;
  const counts = histogram(data);
  const bright = histogramQuantile(counts, 0.99);
  if (bright < DARK_PHOTO_LUMINANCE) return null;
  if (bright - histogramQuantile(counts, 0.01) < MIN_LUMINANCE_SPREAD) return null;
  const threshold = Math.min(otsuThreshold(counts), SURROUND_RATIO * bright);
  const lit = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) lit[i] = data[i] >= threshold ? 1 : 0;
  const closing = Math.max(1, Math.round(CLOSING_SHARE * Math.max(width, height)));
  const region = fillHoles(closeSquare(largestComponent(lit, width, height), width, height, closing), width, height);
  let area = 0;
  for (let i = 0; i < region.length; i++) area += region[i];
  if (area < MIN_FIELD_SHARE * region.length) return null;
  if (area >= FULL_FRAME_SHARE * region.length) return { kind: 'whole-frame' };

  const { xs, ys } = edgePoints(region, width, height);
  const fitted = fitCircle(xs, ys);
  if (!fitted || fitted.r < 2) return null;
  // The edge points are the outermost lit pixel centres; the boundary lies half a pixel further out.
  const circle = { ...fitted, r: fitted.r + 0.5 };
  return discAgreement(region, width, height, circle) >= MIN_DISC_AGREEMENT ? { kind: 'disc', disc: circle } : null;
}

/** Intersection over union of a region and the disc (clipped to the grid). */
function discAgreement(region: Uint8Array, width: number, height: number, disc: FieldOfView): number {
  let both = 0;
  let either = 0;
  const r2 = disc.r * disc.r;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inDisc = (x + 0.5 - disc.cx) ** 2 + (y + 0.5 - disc.cy) ** 2 <= r2;
      const inRegion = region[y * width + x] === 1;
      if (inDisc && inRegion) both++;
      if (inDisc || inRegion) either++;
    }
  }
  return either === 0 ? 0 : both / either;
}

/** A finding on an image downscaled by `factor`, as a field of view in the original width x height photo. */
export function toPhotoFieldOfView(finding: FieldFinding, factor: number, width: number, height: number): FieldOfView {
  if (finding.kind === 'whole-frame') return wholeFrame(width, height);
  const { cx, cy, r } = finding.disc;
  return { cx: cx * factor, cy: cy * factor, r: r * factor };
}

/** Finds the field of view of a width x height photo on its luminance downscaled by `factor`. */
export function fieldOfViewFromOverview(overview: GreyImage, factor: number, width: number, height: number): FieldOfView | null {
  const extra = Math.ceil(Math.max(overview.width, overview.height) / FOV_WORK_SIDE);
  const finding = findFieldOfView(extra > 1 ? downscaleGrey(overview, extra) : overview);
  return finding && toPhotoFieldOfView(finding, factor * extra, width, height);
}

/** Locates the circular eyepiece field in an RGB photo; null when no lit field is visible. */
export function detectFieldOfView(rgb: Uint8Array, width: number, height: number): FieldOfView | null {
  const factor = Math.max(1, Math.round(Math.max(width, height) / FOV_WORK_SIDE));
  return fieldOfViewFromOverview(downscaleLuminance(rgb, width, height, factor), factor, width, height);
}
