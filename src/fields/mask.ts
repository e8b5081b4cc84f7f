/** Binary masks (1 = set) over a width x height grid: connected components, hole filling, distance. */

export interface Components {
  /** Per pixel: component number 1..count, 0 outside the mask. */
  labels: Int32Array;
  count: number;
  /** Pixel count of each component, index = label (index 0 unused). */
  areas: Int32Array;
}

/** Labels the connected components of a mask (4- or 8-connected) with an explicit stack. */
export function labelComponents(mask: Uint8Array, width: number, height: number, connectivity: 4 | 8 = 4): Components {
  const labels = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const areas: number[] = [0];
  const diagonal = connectivity === 8;
  let count = 0;
  let top = 0;
  const visit = (q: number): void => {
    if (mask[q] && !labels[q]) {
      labels[q] = count;
      stack[top++] = q;
    }
  };
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    count++;
    let area = 0;
    stack[top++] = start;
    labels[start] = count;
    while (top > 0) {
      const p = stack[--top];
      area++;
      const x = p % width;
      const up = p >= width;
      const down = p < mask.length - width;
      const left = x > 0;
      const right = x < width - 1;
      if (left) visit(p - 1);
      if (right) visit(p + 1);
      if (up) visit(p - width);
      if (down) visit(p + width);
      if (diagonal) {
        if (up && left) visit(p - width - 1);
        if (up && right) visit(p - width + 1);
        if (down && left) visit(p + width - 1);
        if (down && right) visit(p + width + 1);
      }
    }
    areas.push(area);
  }
  return { labels, count, areas: Int32Array.from(areas) };
}

/** The largest 4-connected component of a mask (all zeros when the mask is empty). */
export function largestComponent(mask: Uint8Array, width: number, height: number): Uint8Array {
  const { labels, count, areas } = labelComponents(mask, width, height, 4);
  const out = new Uint8Array(mask.length);
  if (count === 0) return out;
  let best = 1;
  for (let c = 2; c <= count; c++) if (areas[c] > areas[best]) best = c;
  for (let i = 0; i < out.length; i++) if (labels[i] === best) out[i] = 1;
  return out;
}

/** The mask with every hole filled: unset regions that do not reach the image border become set. */
export function fillHoles(mask: Uint8Array, width: number, height: number): Uint8Array {
  const outside = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  let top = 0;
  const seed = (p: number): void => {
    if (!mask[p] && !outside[p]) {
      outside[p] = 1;
      stack[top++] = p;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (top > 0) {
    const p = stack[--top];
    const x = p % width;
    if (x > 0) seed(p - 1);
    if (x < width - 1) seed(p + 1);
    if (p >= width) seed(p - width);
    if (p < (height - 1) * width) seed(p + width);
  }
  const filled = new Uint8Array(mask.length);
  for (let i = 0; i < filled.length; i++) filled[i] = outside[i] ? 0 : 1;
  return filled;
}

/**
 * Distance (in pixels) from each set pixel to the nearest unset pixel or the grid edge, by the 3-4
 * chamfer transform (within ~8% of Euclidean); 0 outside the mask. A one-pixel line has distance 1.
 */
export function chamferDistance(mask: Uint8Array, width: number, height: number): Float32Array {
  // Work on a grid padded by one unset pixel so the neighbour reads need no bounds checks.
  const w = width + 2;
  const d = new Float32Array(w * (height + 2));
  const far = 1e9;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (mask[y * width + x]) d[(y + 1) * w + x + 1] = far;
  for (let y = 1; y <= height; y++) {
    for (let p = y * w + 1, end = p + width; p < end; p++) {
      if (d[p] === 0) continue;
      d[p] = Math.min(d[p - 1] + 3, d[p - w] + 3, d[p - w - 1] + 4, d[p - w + 1] + 4);
    }
  }
  for (let y = height; y >= 1; y--) {
    for (let p = y * w + width, end = y * w; p > end; p--) {
      if (d[p] === 0) continue;
      d[p] = Math.min(d[p], d[p + 1] + 3, d[p + w] + 3, d[p + w + 1] + 4, d[p + w - 1] + 4);
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = d[(y + 1) * w + x + 1] / 3;
  return out;
}

/** Sets every pixel within `radius` (Chebyshev distance) of a set pixel: dilation by a square, one axis at a time. */
export function dilateSquare(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) dilateLine(mask, rows, y * width, 1, width, radius);
  const out = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) dilateLine(rows, out, x, width, height, radius);
  return out;
}

/** 1-D dilation of `count` values spaced `stride` apart: set where a set value lies within `radius`. */
function dilateLine(src: Uint8Array, dst: Uint8Array, start: number, stride: number, count: number, radius: number): void {
  let lastSet = -Infinity;
  for (let i = 0; i < count; i++) {
    if (src[start + i * stride]) lastSet = i;
    if (i - lastSet <= radius) dst[start + i * stride] = 1;
  }
  lastSet = Infinity;
  for (let i = count - 1; i >= 0; i--) {
    if (src[start + i * stride]) lastSet = i;
    if (lastSet - i <= radius) dst[start + i * stride] = 1;
  }
}

/** Morphological closing by a square: fills bays and gaps narrower than 2 * radius + 1 (the frame edge does not erode). */
export function closeSquare(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const grown = dilateSquare(mask, width, height, radius);
  const gaps = new Uint8Array(mask.length);
  for (let i = 0; i < gaps.length; i++) gaps[i] = grown[i] ? 0 : 1;
  const grownGaps = dilateSquare(gaps, width, height, radius);
  for (let i = 0; i < gaps.length; i++) gaps[i] = grownGaps[i] ? 0 : 1;
  return gaps;
}
