/**
 * A pure JPEG round trip (YCbCr, optional 4:2:0 chroma, 8x8 DCT quantised with the standard
 * tables at a quality): the blocking, ringing and colour bleeding of a phone's JPEG, without a codec.
 */

const LUMA_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

const CHROMA_TABLE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** libjpeg's quality scaling of a base table. */
function scaledTable(base: readonly number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, quality));
  const scale = q < 50 ? 5000 / q : 200 - 2 * q;
  return Float64Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

/** DCT-II basis: COS[k * 8 + n] = c(k) cos((2n + 1) k pi / 16). */
const COS = (() => {
  const table = new Float64Array(64);
  for (let k = 0; k < 8; k++) {
    const c = k === 0 ? Math.SQRT1_2 : 1;
    for (let n = 0; n < 8; n++) table[k * 8 + n] = 0.5 * c * Math.cos(((2 * n + 1) * k * Math.PI) / 16);
  }
  return table;
})();

/** Quantises one 8x8 block in place (forward DCT, round to the table, inverse DCT). */
function quantiseBlock(block: Float64Array, table: Float64Array, scratch: Float64Array): void {
  for (let y = 0; y < 8; y++) {
    for (let k = 0; k < 8; k++) {
      let sum = 0;
      for (let n = 0; n < 8; n++) sum += COS[k * 8 + n] * block[y * 8 + n];
      scratch[y * 8 + k] = sum;
    }
  }
  for (let x = 0; x < 8; x++) {
    for (let k = 0; k < 8; k++) {
      let sum = 0;
      for (let n = 0; n < 8; n++) sum += COS[k * 8 + n] * scratch[n * 8 + x];
      const q = table[k * 8 + x];
      block[k * 8 + x] = Math.round(sum / q) * q;
    }
  }
  for (let x = 0; x < 8; x++) {
    for (let n = 0; n < 8; n++) {
      let sum = 0;
      for (let k = 0; k < 8; k++) sum += COS[k * 8 + n] * block[k * 8 + x];
      scratch[n * 8 + x] = sum;
    }
  }
  for (let y = 0; y < 8; y++) {
    for (let n = 0; n < 8; n++) {
      let sum = 0;
      for (let k = 0; k < 8; k++) sum += COS[k * 8 + n] * scratch[y * 8 + k];
      block[y * 8 + n] = sum;
    }
  }
}

/**
 * Quantises a plane whose block grid starts at (-offsetX, -offsetY), as if the plane were cut from
 * a larger JPEG. Edge blocks are padded by repeating the border.
 */
function quantisePlane(plane: Float32Array, width: number, height: number, table: Float64Array, offsetX: number, offsetY: number): void {
  const block = new Float64Array(64);
  const scratch = new Float64Array(64);
  for (let by = -offsetY; by < height; by += 8) {
    for (let bx = -offsetX; bx < width; bx += 8) {
      for (let y = 0; y < 8; y++) {
        const sy = Math.min(height - 1, Math.max(0, by + y));
        for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[sy * width + Math.min(width - 1, Math.max(0, bx + x))] - 128;
      }
      quantiseBlock(block, table, scratch);
      for (let y = Math.max(0, -by); y < 8 && by + y < height; y++) {
        for (let x = Math.max(0, -bx); x < 8 && bx + x < width; x++) plane[(by + y) * width + bx + x] = block[y * 8 + x] + 128;
      }
    }
  }
}

function halve(plane: Float32Array, width: number, height: number): { plane: Float32Array; width: number; height: number } {
  const w = Math.ceil(width / 2);
  const h = Math.ceil(height / 2);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const x0 = 2 * x;
      const y0 = 2 * y;
      const x1 = Math.min(width - 1, x0 + 1);
      const y1 = Math.min(height - 1, y0 + 1);
      out[y * w + x] = (plane[y0 * width + x0] + plane[y0 * width + x1] + plane[y1 * width + x0] + plane[y1 * width + x1]) / 4;
    }
  }
  return { plane: out, width: w, height: h };
}

/** Bilinear upsampling by 2 (like libjpeg's "fancy" upsampling). */
function double(small: Float32Array, w: number, h: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(h - 1, Math.max(0, (y - 0.5) / 2));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(w - 1, Math.max(0, (x - 0.5) / 2));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = sx - x0;
      const top = small[y0 * w + x0] * (1 - fx) + small[y0 * w + x1] * fx;
      const bottom = small[y1 * w + x0] * (1 - fx) + small[y1 * w + x1] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

export interface JpegOptions {
  quality: number;
  chromaSubsampling: boolean;
  /** Block-grid offset in pixels (0..7), as if cut from a larger image. */
  offsetX: number;
  offsetY: number;
}

/** Applies JPEG compression artefacts in place to interleaved RGB values in 0..255. */
export function jpegRoundTrip(rgb: Float32Array, width: number, height: number, options: JpegOptions): void {
  const n = width * height;
  const luma = new Float32Array(n);
  let cb: Float32Array = new Float32Array(n);
  let cr: Float32Array = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3];
    const g = rgb[i * 3 + 1];
    const b = rgb[i * 3 + 2];
    luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
  }
  const { quality, offsetX, offsetY } = options;
  quantisePlane(luma, width, height, scaledTable(LUMA_TABLE, quality), offsetX, offsetY);
  const chromaTable = scaledTable(CHROMA_TABLE, quality);
  if (options.chromaSubsampling) {
    [cb, cr] = [cb, cr].map((plane) => {
      const small = halve(plane, width, height);
      quantisePlane(small.plane, small.width, small.height, chromaTable, offsetX >> 1, offsetY >> 1);
      return double(small.plane, small.width, small.height, width, height);
    });
  } else {
    quantisePlane(cb, width, height, chromaTable, offsetX, offsetY);
    quantisePlane(cr, width, height, chromaTable, offsetX, offsetY);
  }
  for (let i = 0; i < n; i++) {
    const y = luma[i];
    const u = cb[i] - 128;
    const v = cr[i] - 128;
    rgb[i * 3] = y + 1.402 * v;
    rgb[i * 3 + 1] = y - 0.344136 * u - 0.714136 * v;
    rgb[i * 3 + 2] = y + 1.772 * u;
  }
}
