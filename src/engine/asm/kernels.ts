// SIMD training kernels, compiled by scripts/build-kernels.mjs to build/wasm/kernels.wasm.
// The module imports the wasm backend's memory: every pointer is a byte offset into that heap and
// every size a number of float32 elements. No allocation happens here (the stub runtime has no heap);
// callers pass all buffers in, laid out NHWC unless a comment says otherwise.

// ---------------------------------------------------------------------------------------------
// Layout

/** out [cols, rows] = x [rows, cols] transposed. */
export function transpose2d(x: usize, rows: i32, cols: i32, out: usize): void {
  const block = 16;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = min(r0 + block, rows);
    for (let c0 = 0; c0 < cols; c0 += block) {
      const c1 = min(c0 + block, cols);
      for (let r = r0; r < r1; r++) {
        const src = x + (<usize>r * <usize>cols << 2);
        for (let col = c0; col < c1; col++) {
          store<f32>(out + ((<usize>col * <usize>rows + <usize>r) << 2), load<f32>(src + (<usize>col << 2)));
        }
      }
    }
  }
}

/**
 * The filter through which the input pixels of one stride phase receive dy, as a forward filter:
 * out [jh, jw, co, c] with out[t][u][o][k] = w[ry + (jh-1-t)·sh][rx + (jw-1-u)·sw][k][o], i.e. the taps
 * ≡ (ry, rx) mod the stride, flipped, inputs and outputs swapped. Stride 1: the whole filter flipped.
 */
export function phaseFilter(
  w: usize, kw: i32, c: i32, co: i32, ry: i32, rx: i32, sh: i32, sw: i32, jh: i32, jw: i32, out: usize,
): void {
  for (let t = 0; t < jh; t++) {
    for (let u = 0; u < jw; u++) {
      const src = w + ((<usize>((ry + (jh - 1 - t) * sh) * kw + rx + (jw - 1 - u) * sw) * <usize>c * <usize>co) << 2);
      const dst = out + ((<usize>(t * jw + u) * <usize>co * <usize>c) << 2);
      for (let k = 0; k < c; k++) {
        for (let o = 0; o < co; o++) {
          store<f32>(dst + ((<usize>(o * c + k)) << 2), load<f32>(src + ((<usize>(k * co + o)) << 2)));
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function addInto(dst: usize, src: usize, length: i32): void {
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < length; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions and activations

const SUM_BLOCK_ROWS = 32;

/** Adds the column sums of rows [r0, r1) of x [rows, cols] to the float64 totals; blockSums: cols float32. */
// @ts-ignore: decorator
@inline
function addBlockColumnSums(x: usize, r0: i32, r1: i32, cols: i32, blockSums: usize, totals: usize): void {
  const rowBytes = <usize>cols << 2;
  memory.copy(blockSums, x + <usize>r0 * rowBytes, rowBytes);
  for (let r = r0 + 1; r < r1; r++) addInto(blockSums, x + <usize>r * rowBytes, cols);
  for (let col = 0; col < cols; col++) {
    const t = totals + (<usize>col << 3);
    store<f64>(t, load<f64>(t) + <f64>load<f32>(blockSums + (<usize>col << 2)));
  }
}

// @ts-ignore: decorator
@inline
function storeTotals(totals: usize, cols: i32, sums: usize): void {
  for (let col = 0; col < cols; col++) {
    store<f32>(sums + (<usize>col << 2), <f32>load<f64>(totals + (<usize>col << 3)));
  }
}

/**
 * sums [cols] = column sums of x [rows, cols]. Blocks of rows are summed in float32 and the block
 * sums in float64 (scratch holds cols float64), so long columns keep float32 accuracy.
 */
export function columnSums(x: usize, rows: i32, cols: i32, sums: usize, scratch: usize): void {
  memory.fill(scratch, 0, <usize>cols << 3);
  for (let r0 = 0; r0 < rows; r0 += SUM_BLOCK_ROWS) addBlockColumnSums(x, r0, min(r0 + SUM_BLOCK_ROWS, rows), cols, sums, scratch);
  storeTotals(scratch, cols, sums);
}

/**
 * out = dy where activation > 0, else 0: the ReLU gradient (activation is its input or output), seen
 * as [rows, cols]. Unless sums is 0, also its column sums (a bias gradient; scratch: cols float64).
 */
export function reluGrad(dy: usize, activation: usize, rows: i32, cols: i32, out: usize, sums: usize, scratch: usize): void {
  const zero = f32x4.splat(0);
  if (sums != 0) memory.fill(scratch, 0, <usize>cols << 3);
  for (let r0 = 0; r0 < rows; r0 += SUM_BLOCK_ROWS) {
    const r1 = min(r0 + SUM_BLOCK_ROWS, rows);
    const end = r1 * cols;
    let i = r0 * cols;
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(activation + o), zero)));
    }
    for (; i < end; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(activation + o) > 0 ? load<f32>(dy + o) : 0);
    }
    if (sums != 0) addBlockColumnSums(out, r0, r1, cols, sums, scratch);
  }
  if (sums != 0) storeTotals(scratch, cols, sums);
}

/**
 * out = dy where x lies in [lo, hi] (in (lo, hi] when loExclusive), else 0: the gradient of clipping
 * x to [lo, hi], or of ReLU6 (x in (0, 6]).
 */
export function rangeGrad(dy: usize, x: usize, size: i32, lo: f32, hi: f32, loExclusive: bool, out: usize): void {
  const low = f32x4.splat(lo);
  const high = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const above = loExclusive ? f32x4.gt(v, low) : f32x4.ge(v, low);
    v128.store(out + o, v128.and(v128.load(dy + o), v128.and(above, f32x4.le(v, high))));
  }
  for (; i < size; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const inside = (loExclusive ? v > lo : v >= lo) && v <= hi;
    store<f32>(out + o, inside ? load<f32>(dy + o) : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Pooling

/** 2×2, stride-2 max pooling without padding (c a multiple of 4; rows/columns past 2·oh, 2·ow are skipped). */
export function maxPool2x2(x: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, out: usize): void {
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  let dst = out;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const top = x + (<usize>(b * h + 2 * y) * <usize>w) * pixelBytes;
      for (let xo = 0; xo < ow; xo++) {
        const p = top + <usize>(2 * xo) * pixelBytes;
        for (let ci = 0; ci < c; ci += 4) {
          const o = p + (<usize>ci << 2);
          const upper = f32x4.max(v128.load(o), v128.load(o + pixelBytes));
          const lower = f32x4.max(v128.load(o + rowBytes), v128.load(o + rowBytes + pixelBytes));
          v128.store(dst, f32x4.max(upper, lower));
          dst += 16;
        }
      }
    }
  }
}

/**
 * Max-pool gradient for non-overlapping windows without padding (filter == stride): each dy goes to
 * the first maximum of its window, as TF.js does; pixels outside every window get 0.
 */
export function maxPoolGradTiled(
  x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, fh: i32, fw: i32, dx: usize,
): void {
  if (fh == 2 && fw == 2 && (c & 3) == 0) {
    maxPoolGrad2x2(x, dy, n, h, w, c, oh, ow, dx);
    return;
  }
  maxPoolGradGeneral(x, dy, n, h, w, c, oh, ow, fh, fw, fh, fw, 0, 0, dx);
}

function maxPoolGrad2x2(x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, dx: usize): void {
  if (h != 2 * oh || w != 2 * ow) memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * <usize>c << 2);
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  let g = dy;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const top = (<usize>(b * h + 2 * y) * <usize>w) * pixelBytes;
      for (let xo = 0; xo < ow; xo++) {
        const p = top + <usize>(2 * xo) * pixelBytes;
        for (let ci = 0; ci < c; ci += 4) {
          const o = p + (<usize>ci << 2);
          const a = v128.load(x + o);
          const bb = v128.load(x + o + pixelBytes);
          const cc = v128.load(x + o + rowBytes);
          const d = v128.load(x + o + rowBytes + pixelBytes);
          const grad = v128.load(g);
          const takeB = f32x4.gt(bb, a);
          const m1 = v128.bitselect(bb, a, takeB);
          const takeC = f32x4.gt(cc, m1);
          const m2 = v128.bitselect(cc, m1, takeC);
          const takeD = f32x4.gt(d, m2);
          const selC = v128.andnot(takeC, takeD);
          const selB = v128.andnot(v128.andnot(takeB, takeC), takeD);
          const selA = v128.not(v128.or(v128.or(takeB, takeC), takeD));
          v128.store(dx + o, v128.and(grad, selA));
          v128.store(dx + o + pixelBytes, v128.and(grad, selB));
          v128.store(dx + o + rowBytes, v128.and(grad, selC));
          v128.store(dx + o + rowBytes + pixelBytes, v128.and(grad, takeD));
          g += 16;
        }
      }
    }
  }
}

/** Max-pool gradient for any window, stride and padding. */
export function maxPoolGradGeneral(
  x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, fh: i32, fw: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dx: usize,
): void {
  memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * <usize>c << 2);
  let g = dy;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const y0 = max(y * strideH - padTop, 0);
      const y1 = min(y * strideH - padTop + fh, h);
      for (let xo = 0; xo < ow; xo++) {
        const x0 = max(xo * strideW - padLeft, 0);
        const x1 = min(xo * strideW - padLeft + fw, w);
        for (let ci = 0; ci < c; ci++) {
          let best: f32 = -Infinity;
          let bestAt: usize = 0;
          let found = false;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const at = (<usize>((b * h + iy) * w + ix) * <usize>c + <usize>ci) << 2;
              const v = load<f32>(x + at);
              if (!found || v > best) {
                best = v;
                bestAt = at;
                found = true;
              }
            }
          }
          if (found) store<f32>(dx + bestAt, load<f32>(dx + bestAt) + load<f32>(g));
          g += 4;
        }
      }
    }
  }
}

/** Average-pool gradient: each dy spread over its window times `scale` (TF.js uses 1 / window area). */
export function avgPoolGrad(
  dy: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, fh: i32, fw: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, scale: f32, dx: usize,
): void {
  memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * <usize>c << 2);
  const factor = f32x4.splat(scale);
  let g = dy;
  const pixelBytes = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const y0 = max(y * strideH - padTop, 0);
      const y1 = min(y * strideH - padTop + fh, h);
      for (let xo = 0; xo < ow; xo++) {
        const x0 = max(xo * strideW - padLeft, 0);
        const x1 = min(xo * strideW - padLeft + fw, w);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const dst = dx + (<usize>((b * h + iy) * w + ix) * pixelBytes);
            let ci = 0;
            for (; ci + 4 <= c; ci += 4) {
              const o = <usize>ci << 2;
              v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(g + o), factor)));
            }
            for (; ci < c; ci++) {
              const o = <usize>ci << 2;
              store<f32>(dst + o, load<f32>(dst + o) + load<f32>(g + o) * scale);
            }
          }
        }
        g += pixelBytes;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Batch normalisation in training mode (statistics over all rows of x [rows, channels])

/**
 * Per-channel sums of d = x - x[0] and of d·d into scratch (2 · channels float64): float32 within
 * blocks of rows, float64 across blocks. Shifting by the first row keeps the variance accurate when
 * the mean is large against the spread. blockSums needs 2 · channels float32.
 */
function shiftedChannelSums(x: usize, rows: i32, channels: i32, blockSums: usize, scratch: usize): void {
  const rowBytes = <usize>channels << 2;
  const squares = blockSums + rowBytes;
  memory.fill(scratch, 0, <usize>channels << 4);
  for (let r0 = 0; r0 < rows; r0 += SUM_BLOCK_ROWS) {
    const r1 = min(r0 + SUM_BLOCK_ROWS, rows);
    memory.fill(blockSums, 0, rowBytes << 1);
    for (let r = r0; r < r1; r++) {
      const row = x + <usize>r * rowBytes;
      let ci = 0;
      for (; ci + 4 <= channels; ci += 4) {
        const o = <usize>ci << 2;
        const d = f32x4.sub(v128.load(row + o), v128.load(x + o));
        v128.store(blockSums + o, f32x4.add(v128.load(blockSums + o), d));
        v128.store(squares + o, f32x4.add(v128.load(squares + o), f32x4.mul(d, d)));
      }
      for (; ci < channels; ci++) {
        const o = <usize>ci << 2;
        const d = load<f32>(row + o) - load<f32>(x + o);
        store<f32>(blockSums + o, load<f32>(blockSums + o) + d);
        store<f32>(squares + o, load<f32>(squares + o) + d * d);
      }
    }
    for (let ci = 0; ci < channels * 2; ci++) {
      const s = scratch + (<usize>ci << 3);
      store<f64>(s, load<f64>(s) + <f64>load<f32>(blockSums + (<usize>ci << 2)));
    }
  }
}

/** mean and (biased) variance [channels] of x [rows, channels]. scratch: 6 · channels float32. */
export function moments(x: usize, rows: i32, channels: i32, mean: usize, variance: usize, scratch: usize): void {
  const sums = scratch + (<usize>channels << 3);
  shiftedChannelSums(x, rows, channels, scratch, sums);
  for (let ci = 0; ci < channels; ci++) {
    const shiftedMean = load<f64>(sums + (<usize>ci << 3)) / <f64>rows;
    const v = load<f64>(sums + (<usize>(channels + ci) << 3)) / <f64>rows - shiftedMean * shiftedMean;
    store<f32>(mean + (<usize>ci << 2), <f32>(<f64>load<f32>(x + (<usize>ci << 2)) + shiftedMean));
    store<f32>(variance + (<usize>ci << 2), <f32>max(v, 0));
  }
}

/**
 * y = (x - mean) · invStd · scale + offset with the batch's own mean and invStd = 1 / sqrt(var + eps),
 * which are written out for the gradient. scratch: 6 · channels float32.
 */
export function batchNormTraining(
  x: usize, rows: i32, channels: i32, scale: usize, offset: usize, epsilon: f32, y: usize, mean: usize, invStd: usize, scratch: usize,
): void {
  moments(x, rows, channels, mean, invStd, scratch);
  const k = scratch;
  for (let ci = 0; ci < channels; ci++) {
    const o = <usize>ci << 2;
    const inv = <f32>(1.0 / Math.sqrt(<f64>load<f32>(invStd + o) + <f64>epsilon));
    store<f32>(invStd + o, inv);
    store<f32>(k + o, load<f32>(scale + o) * inv);
  }
  const rowBytes = <usize>channels << 2;
  for (let r = 0; r < rows; r++) {
    const src = x + <usize>r * rowBytes;
    const dst = y + <usize>r * rowBytes;
    let ci = 0;
    for (; ci + 4 <= channels; ci += 4) {
      const o = <usize>ci << 2;
      const centred = f32x4.sub(v128.load(src + o), v128.load(mean + o));
      v128.store(dst + o, f32x4.add(f32x4.mul(centred, v128.load(k + o)), v128.load(offset + o)));
    }
    for (; ci < channels; ci++) {
      const o = <usize>ci << 2;
      store<f32>(dst + o, (load<f32>(src + o) - load<f32>(mean + o)) * load<f32>(k + o) + load<f32>(offset + o));
    }
  }
}

/**
 * Gradient of batchNormTraining (statistics included): with x̂ = (x - mean) · invStd and M rows,
 * dOffset = Σ dy, dScale = Σ dy·x̂, dx = scale · invStd · (dy - dOffset / M - x̂ · dScale / M).
 * scratch: 8 · channels float32.
 */
export function batchNormTrainingGrad(
  dy: usize, x: usize, rows: i32, channels: i32, scale: usize, mean: usize, invStd: usize,
  dx: usize, dScale: usize, dOffset: usize, scratch: usize,
): void {
  const rowBytes = <usize>channels << 2;
  const blockDy = scratch;
  const blockDyX = scratch + rowBytes;
  const sums = scratch + (rowBytes << 1);
  memory.fill(sums, 0, <usize>channels << 4);
  // Σ dy and Σ dy·(x - mean) per channel.
  for (let r0 = 0; r0 < rows; r0 += SUM_BLOCK_ROWS) {
    const r1 = min(r0 + SUM_BLOCK_ROWS, rows);
    memory.fill(blockDy, 0, rowBytes << 1);
    for (let r = r0; r < r1; r++) {
      const g = dy + <usize>r * rowBytes;
      const v = x + <usize>r * rowBytes;
      let ci = 0;
      for (; ci + 4 <= channels; ci += 4) {
        const o = <usize>ci << 2;
        const gv = v128.load(g + o);
        v128.store(blockDy + o, f32x4.add(v128.load(blockDy + o), gv));
        const centred = f32x4.sub(v128.load(v + o), v128.load(mean + o));
        v128.store(blockDyX + o, f32x4.add(v128.load(blockDyX + o), f32x4.mul(gv, centred)));
      }
      for (; ci < channels; ci++) {
        const o = <usize>ci << 2;
        const gv = load<f32>(g + o);
        store<f32>(blockDy + o, load<f32>(blockDy + o) + gv);
        store<f32>(blockDyX + o, load<f32>(blockDyX + o) + gv * (load<f32>(v + o) - load<f32>(mean + o)));
      }
    }
    for (let ci = 0; ci < channels * 2; ci++) {
      const s = sums + (<usize>ci << 3);
      store<f64>(s, load<f64>(s) + <f64>load<f32>(blockDy + (<usize>ci << 2)));
    }
  }
  // dx = k · dy + e · (x - mean) + f, per channel.
  const k = scratch;
  const e = scratch + rowBytes;
  const f = scratch + (rowBytes << 1) + (<usize>channels << 4);
  for (let ci = 0; ci < channels; ci++) {
    const o = <usize>ci << 2;
    const sumDy = load<f64>(sums + (<usize>ci << 3));
    const inv = <f64>load<f32>(invStd + o);
    const sumDyXhat = inv * load<f64>(sums + (<usize>(channels + ci) << 3));
    store<f32>(dOffset + o, <f32>sumDy);
    store<f32>(dScale + o, <f32>sumDyXhat);
    const kc = <f64>load<f32>(scale + o) * inv;
    store<f32>(k + o, <f32>kc);
    store<f32>(e + o, <f32>((-kc * inv * sumDyXhat) / <f64>rows));
    store<f32>(f + o, <f32>((-kc * sumDy) / <f64>rows));
  }
  for (let r = 0; r < rows; r++) {
    const g = dy + <usize>r * rowBytes;
    const v = x + <usize>r * rowBytes;
    const out = dx + <usize>r * rowBytes;
    let ci = 0;
    for (; ci + 4 <= channels; ci += 4) {
      const o = <usize>ci << 2;
      const centred = f32x4.sub(v128.load(v + o), v128.load(mean + o));
      const t = f32x4.add(f32x4.mul(v128.load(g + o), v128.load(k + o)), f32x4.mul(centred, v128.load(e + o)));
      v128.store(out + o, f32x4.add(t, v128.load(f + o)));
    }
    for (; ci < channels; ci++) {
      const o = <usize>ci << 2;
      const centred = load<f32>(v + o) - load<f32>(mean + o);
      store<f32>(out + o, load<f32>(g + o) * load<f32>(k + o) + centred * load<f32>(e + o) + load<f32>(f + o));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Direct convolution (implicit GEMM) on a zero-padded NHWC input

/**
 * out [n, hp, wp, c]: x [n, h, w, c] placed at (top, left) with zeros around; a negative offset or a
 * smaller out crops x. Each output byte is written once (zeros only around the copy).
 */
export function padImages(x: usize, n: i32, h: i32, w: i32, c: i32, top: i32, left: i32, hp: i32, wp: i32, out: usize): void {
  const y0 = max(0, -top);
  const y1 = min(h, hp - top);
  const x0 = max(0, -left);
  const x1 = min(w, wp - left);
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>wp * pixelBytes;
  const imageBytes = <usize>hp * rowBytes;
  if (y1 <= y0 || x1 <= x0) {
    memory.fill(out, 0, <usize>n * imageBytes);
    return;
  }
  // The rows [firstRow, endRow) and columns [firstColumn, endColumn) of out receive x.
  const firstRow = y0 + top;
  const endRow = y1 + top;
  const firstColumn = x0 + left;
  const endColumn = x1 + left;
  const copyBytes = <usize>(x1 - x0) * pixelBytes;
  for (let b = 0; b < n; b++) {
    const image = out + <usize>b * imageBytes;
    memory.fill(image, 0, <usize>firstRow * rowBytes);
    for (let r = firstRow; r < endRow; r++) {
      const row = image + <usize>r * rowBytes;
      memory.fill(row, 0, <usize>firstColumn * pixelBytes);
      memory.copy(row + <usize>firstColumn * pixelBytes, x + (<usize>((b * h + r - top) * w + x0) * pixelBytes), copyBytes);
      memory.fill(row + <usize>endColumn * pixelBytes, 0, <usize>(wp - endColumn) * pixelBytes);
    }
    memory.fill(image + <usize>endRow * rowBytes, 0, <usize>(hp - endRow) * rowBytes);
  }
}

/** dx [n, h, w, c]: dx[b, y0 + sh·i, x0 + sw·j] = part[b, i, j] for part [n, rows, cols, c]. */
export function scatterStrided(part: usize, n: i32, rows: i32, cols: i32, c: i32, dx: usize, h: i32, w: i32, y0: i32, x0: i32, sh: i32, sw: i32): void {
  const pixelBytes = <usize>c << 2;
  let src = part;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < rows; i++) {
      const row = dx + (<usize>((b * h + y0 + i * sh) * w + x0) * pixelBytes);
      for (let j = 0; j < cols; j++) {
        memory.copy(row + <usize>(j * sw) * pixelBytes, src, pixelBytes);
        src += pixelBytes;
      }
    }
  }
}

/**
 * out [n, oh, ow, co] = conv(xPadded [n, hp, wp, c], filter [kh, kw, c, co]) (+ bias, ReLU when
 * relu). Tiles of 4 output pixels × 8 channels: for one filter row the (kx, c) inputs of a pixel are
 * contiguous, so the reduction runs over kh rows of kw·c values with no im2col buffer.
 */
export function conv2dForward(
  xPadded: usize, n: i32, hp: i32, wp: i32, c: i32, filter: usize, kh: i32, kw: i32, co: i32,
  strideH: i32, strideW: i32, oh: i32, ow: i32, bias: usize, relu: bool, out: usize,
): void {
  const rowBytes = <usize>wp * <usize>c << 2;
  const pixelBytes = <usize>(strideW * c) << 2;
  const coBytes = <usize>co << 2;
  const kwc = kw * c;
  const co8 = co & ~7;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const xRow = xPadded + <usize>(b * hp + y * strideH) * rowBytes;
      const outRow = out + <usize>(b * oh + y) * <usize>ow * coBytes;
      let x = 0;
      for (; x + 4 <= ow; x += 4) {
        const a = xRow + <usize>x * pixelBytes;
        const o = outRow + <usize>x * coBytes;
        for (let j = 0; j < co8; j += 8) {
          convTile4x8(a, rowBytes, pixelBytes, filter + (<usize>j << 2), coBytes, kh, kwc, bias == 0 ? 0 : bias + (<usize>j << 2), relu, o + (<usize>j << 2));
        }
      }
      for (; x < ow; x++) {
        const a = xRow + <usize>x * pixelBytes;
        const o = outRow + <usize>x * coBytes;
        for (let j = 0; j < co8; j += 8) {
          convTile1x8(a, rowBytes, filter + (<usize>j << 2), coBytes, kh, kwc, bias == 0 ? 0 : bias + (<usize>j << 2), relu, o + (<usize>j << 2));
        }
      }
      for (let xo = 0; xo < ow; xo++) {
        const a = xRow + <usize>xo * pixelBytes;
        for (let j = co8; j < co; j++) {
          let sum: f32 = bias == 0 ? 0 : load<f32>(bias + (<usize>j << 2));
          for (let ky = 0; ky < kh; ky++) {
            for (let r = 0; r < kwc; r++) {
              sum += load<f32>(a + <usize>ky * rowBytes + (<usize>r << 2)) * load<f32>(filter + <usize>(ky * kwc + r) * coBytes + (<usize>j << 2));
            }
          }
          store<f32>(outRow + <usize>xo * coBytes + (<usize>j << 2), relu && sum < 0 ? 0 : sum);
        }
      }
    }
  }
}

function convTile4x8(
  a: usize, rowBytes: usize, pixelBytes: usize, w: usize, coBytes: usize, kh: i32, kwc: i32, bias: usize, relu: bool, out: usize,
): void {
  let acc00 = f32x4.splat(0);
  let acc01 = f32x4.splat(0);
  if (bias != 0) {
    acc00 = v128.load(bias);
    acc01 = v128.load(bias, 16);
  }
  let acc10 = acc00;
  let acc11 = acc01;
  let acc20 = acc00;
  let acc21 = acc01;
  let acc30 = acc00;
  let acc31 = acc01;
  let wp = w;
  for (let ky = 0; ky < kh; ky++) {
    const a0 = a + <usize>ky * rowBytes;
    const a1 = a0 + pixelBytes;
    const a2 = a1 + pixelBytes;
    const a3 = a2 + pixelBytes;
    for (let r = 0; r < kwc; r++) {
      const o = <usize>r << 2;
      const b0 = v128.load(wp);
      const b1 = v128.load(wp, 16);
      let s = v128.load32_splat(a0 + o);
      acc00 = f32x4.add(acc00, f32x4.mul(s, b0));
      acc01 = f32x4.add(acc01, f32x4.mul(s, b1));
      s = v128.load32_splat(a1 + o);
      acc10 = f32x4.add(acc10, f32x4.mul(s, b0));
      acc11 = f32x4.add(acc11, f32x4.mul(s, b1));
      s = v128.load32_splat(a2 + o);
      acc20 = f32x4.add(acc20, f32x4.mul(s, b0));
      acc21 = f32x4.add(acc21, f32x4.mul(s, b1));
      s = v128.load32_splat(a3 + o);
      acc30 = f32x4.add(acc30, f32x4.mul(s, b0));
      acc31 = f32x4.add(acc31, f32x4.mul(s, b1));
      wp += coBytes;
    }
  }
  if (relu) {
    const zero = f32x4.splat(0);
    acc00 = f32x4.max(acc00, zero);
    acc01 = f32x4.max(acc01, zero);
    acc10 = f32x4.max(acc10, zero);
    acc11 = f32x4.max(acc11, zero);
    acc20 = f32x4.max(acc20, zero);
    acc21 = f32x4.max(acc21, zero);
    acc30 = f32x4.max(acc30, zero);
    acc31 = f32x4.max(acc31, zero);
  }
  v128.store(out, acc00);
  v128.store(out, acc01, 16);
  v128.store(out + coBytes, acc10);
  v128.store(out + coBytes, acc11, 16);
  v128.store(out + 2 * coBytes, acc20);
  v128.store(out + 2 * coBytes, acc21, 16);
  v128.store(out + 3 * coBytes, acc30);
  v128.store(out + 3 * coBytes, acc31, 16);
}

function convTile1x8(a: usize, rowBytes: usize, w: usize, coBytes: usize, kh: i32, kwc: i32, bias: usize, relu: bool, out: usize): void {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  if (bias != 0) {
    acc0 = v128.load(bias);
    acc1 = v128.load(bias, 16);
  }
  let wp = w;
  for (let ky = 0; ky < kh; ky++) {
    const a0 = a + <usize>ky * rowBytes;
    for (let r = 0; r < kwc; r++) {
      const s = v128.load32_splat(a0 + (<usize>r << 2));
      acc0 = f32x4.add(acc0, f32x4.mul(s, v128.load(wp)));
      acc1 = f32x4.add(acc1, f32x4.mul(s, v128.load(wp, 16)));
      wp += coBytes;
    }
  }
  if (relu) {
    acc0 = f32x4.max(acc0, f32x4.splat(0));
    acc1 = f32x4.max(acc1, f32x4.splat(0));
  }
  v128.store(out, acc0);
  v128.store(out, acc1, 16);
}

/**
 * dFilter [kh, kw, c, co] = Σ over images and output pixels of xPadded · dy: rows (kx, c) of one filter
 * row are contiguous in the padded input, so tiles of 4 such rows × 8 output channels run straight
 * over each image's pixels (kept in cache), with no im2col buffer. Output channels past a multiple
 * of 8 take single-row tiles of 4, then a scalar loop.
 */
export function conv2dFilterGrad(
  xPadded: usize, n: i32, hp: i32, wp: i32, c: i32, dy: usize, oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, strideH: i32, strideW: i32, dFilter: usize,
): void {
  const kwc = kw * c;
  memory.fill(dFilter, 0, <usize>(kh * kwc) * <usize>co << 2);
  const rowBytes = <usize>wp * <usize>c << 2;
  const pixelBytes = <usize>(strideW * c) << 2;
  const coBytes = <usize>co << 2;
  const co8 = co & ~7;
  for (let b = 0; b < n; b++) {
    const image = xPadded + <usize>(b * hp) * rowBytes;
    const dyImage = dy + <usize>(b * oh * ow) * coBytes;
    for (let ky = 0; ky < kh; ky++) {
      const firstRow = image + <usize>ky * rowBytes;
      const dRows = dFilter + <usize>(ky * kwc) * coBytes;
      let r = 0;
      for (; r + 4 <= kwc; r += 4) {
        for (let j = 0; j < co8; j += 8) {
          filterGradTile4x8(firstRow + (<usize>r << 2), rowBytes * <usize>strideH, pixelBytes, dyImage + (<usize>j << 2), coBytes, oh, ow, dRows + <usize>r * coBytes + (<usize>j << 2), coBytes);
        }
      }
      for (; r < kwc; r++) {
        for (let j = 0; j < co8; j += 8) {
          filterGradTile1x8(firstRow + (<usize>r << 2), rowBytes * <usize>strideH, pixelBytes, dyImage + (<usize>j << 2), coBytes, oh, ow, dRows + <usize>r * coBytes + (<usize>j << 2));
        }
      }
      if (co - co8 >= 4) {
        for (let row = 0; row < kwc; row++) {
          filterGradTile1x4(firstRow + (<usize>row << 2), rowBytes * <usize>strideH, pixelBytes, dyImage + (<usize>co8 << 2), coBytes, oh, ow, dRows + <usize>row * coBytes + (<usize>co8 << 2));
        }
      }
      for (let row = 0; row < kwc; row++) {
        for (let j = co & ~3; j < co; j++) {
          let sum: f32 = 0;
          for (let y = 0; y < oh; y++) {
            for (let x = 0; x < ow; x++) {
              sum += load<f32>(firstRow + <usize>y * rowBytes * <usize>strideH + <usize>x * pixelBytes + (<usize>row << 2)) *
                load<f32>(dyImage + <usize>(y * ow + x) * coBytes + (<usize>j << 2));
            }
          }
          const at = dRows + <usize>row * coBytes + (<usize>j << 2);
          store<f32>(at, load<f32>(at) + sum);
        }
      }
    }
  }
}

function filterGradTile4x8(
  a: usize, outRowBytes: usize, pixelBytes: usize, g: usize, coBytes: usize, oh: i32, ow: i32, d: usize, dStride: usize,
): void {
  let acc00 = v128.load(d);
  let acc01 = v128.load(d, 16);
  let acc10 = v128.load(d + dStride);
  let acc11 = v128.load(d + dStride, 16);
  let acc20 = v128.load(d + 2 * dStride);
  let acc21 = v128.load(d + 2 * dStride, 16);
  let acc30 = v128.load(d + 3 * dStride);
  let acc31 = v128.load(d + 3 * dStride, 16);
  let gp = g;
  for (let y = 0; y < oh; y++) {
    let ap = a + <usize>y * outRowBytes;
    for (let x = 0; x < ow; x++) {
      const b0 = v128.load(gp);
      const b1 = v128.load(gp, 16);
      let s = v128.load32_splat(ap);
      acc00 = f32x4.add(acc00, f32x4.mul(s, b0));
      acc01 = f32x4.add(acc01, f32x4.mul(s, b1));
      s = v128.load32_splat(ap, 4);
      acc10 = f32x4.add(acc10, f32x4.mul(s, b0));
      acc11 = f32x4.add(acc11, f32x4.mul(s, b1));
      s = v128.load32_splat(ap, 8);
      acc20 = f32x4.add(acc20, f32x4.mul(s, b0));
      acc21 = f32x4.add(acc21, f32x4.mul(s, b1));
      s = v128.load32_splat(ap, 12);
      acc30 = f32x4.add(acc30, f32x4.mul(s, b0));
      acc31 = f32x4.add(acc31, f32x4.mul(s, b1));
      ap += pixelBytes;
      gp += coBytes;
    }
  }
  v128.store(d, acc00);
  v128.store(d, acc01, 16);
  v128.store(d + dStride, acc10);
  v128.store(d + dStride, acc11, 16);
  v128.store(d + 2 * dStride, acc20);
  v128.store(d + 2 * dStride, acc21, 16);
  v128.store(d + 3 * dStride, acc30);
  v128.store(d + 3 * dStride, acc31, 16);
}

function filterGradTile1x4(a: usize, outRowBytes: usize, pixelBytes: usize, g: usize, coBytes: usize, oh: i32, ow: i32, d: usize): void {
  let acc = v128.load(d);
  let gp = g;
  for (let y = 0; y < oh; y++) {
    let ap = a + <usize>y * outRowBytes;
    for (let x = 0; x < ow; x++) {
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(ap), v128.load(gp)));
      ap += pixelBytes;
      gp += coBytes;
    }
  }
  v128.store(d, acc);
}

function filterGradTile1x8(a: usize, outRowBytes: usize, pixelBytes: usize, g: usize, coBytes: usize, oh: i32, ow: i32, d: usize): void {
  let acc0 = v128.load(d);
  let acc1 = v128.load(d, 16);
  let gp = g;
  for (let y = 0; y < oh; y++) {
    let ap = a + <usize>y * outRowBytes;
    for (let x = 0; x < ow; x++) {
      const s = v128.load32_splat(ap);
      acc0 = f32x4.add(acc0, f32x4.mul(s, v128.load(gp)));
      acc1 = f32x4.add(acc1, f32x4.mul(s, v128.load(gp, 16)));
      ap += pixelBytes;
      gp += coBytes;
    }
  }
  v128.store(d, acc0);
  v128.store(d, acc1, 16);
}

// ---------------------------------------------------------------------------------------------
// Winograd F(2×2, 3×3): a 3×3 stride-1 convolution with 16 instead of 36 multiplications per 2×2
// output tile. Tiles are processed in blocks whose transformed data stays in cache.

/**
 * The 16 transformed planes of a block are written side by side; a one-cache-line skew between them
 * keeps power-of-two strides (which map every plane to the same L1 set) away.
 */
const PLANE_SKEW_FLOATS = 16;

// @ts-ignore: decorator
@inline
function planeBytes(blockTiles: i32, channels: i32): usize {
  return <usize>(blockTiles * channels + PLANE_SKEW_FLOATS) << 2;
}

/** u [16, c, co] = G·g·Gᵀ for every (c, co) of the 3×3 filter g [3, 3, c, co] (co a multiple of 4). */
export function winogradFilterTransform(filter: usize, c: i32, co: i32, u: usize): void {
  const half = f32x4.splat(0.5);
  const tap = <usize>(c * co) << 2;
  const plane = tap;
  for (let k = 0; k < c; k++) {
    for (let j = 0; j < co; j += 4) {
      const o = (<usize>(k * co + j)) << 2;
      const g00 = v128.load(filter + o);
      const g01 = v128.load(filter + o + tap);
      const g02 = v128.load(filter + o + 2 * tap);
      const g10 = v128.load(filter + o + 3 * tap);
      const g11 = v128.load(filter + o + 4 * tap);
      const g12 = v128.load(filter + o + 5 * tap);
      const g20 = v128.load(filter + o + 6 * tap);
      const g21 = v128.load(filter + o + 7 * tap);
      const g22 = v128.load(filter + o + 8 * tap);
      // rows of G·g
      const a0 = g00; const a1 = g01; const a2 = g02;
      const b0 = f32x4.mul(f32x4.add(f32x4.add(g00, g10), g20), half);
      const b1 = f32x4.mul(f32x4.add(f32x4.add(g01, g11), g21), half);
      const b2 = f32x4.mul(f32x4.add(f32x4.add(g02, g12), g22), half);
      const c0 = f32x4.mul(f32x4.add(f32x4.sub(g00, g10), g20), half);
      const c1 = f32x4.mul(f32x4.add(f32x4.sub(g01, g11), g21), half);
      const c2 = f32x4.mul(f32x4.add(f32x4.sub(g02, g12), g22), half);
      const d0 = g20; const d1 = g21; const d2 = g22;
      storeGgT(u + o, plane, 0, a0, a1, a2, half);
      storeGgT(u + o, plane, 4, b0, b1, b2, half);
      storeGgT(u + o, plane, 8, c0, c1, c2, half);
      storeGgT(u + o, plane, 12, d0, d1, d2, half);
    }
  }
}

// @ts-ignore: decorator
@inline
function storeGgT(at: usize, plane: usize, first: i32, r0: v128, r1: v128, r2: v128, half: v128): void {
  v128.store(at + <usize>first * plane, r0);
  v128.store(at + <usize>(first + 1) * plane, f32x4.mul(f32x4.add(f32x4.add(r0, r1), r2), half));
  v128.store(at + <usize>(first + 2) * plane, f32x4.mul(f32x4.add(f32x4.sub(r0, r1), r2), half));
  v128.store(at + <usize>(first + 3) * plane, r2);
}

/**
 * out [n, oh, ow, co] = conv3×3(xPadded [n, hp, wp, c]) (+ bias, ReLU) from the transformed filter
 * u [16, c, co]. xPadded must cover 2·ceil(oh/2) + 2 rows and 2·ceil(ow/2) + 2 columns. c a multiple
 * of 4, co of 8. scratch: blockTiles · 16 · (c + co) + 512 float32.
 */
export function winogradConv3x3(
  xPadded: usize, n: i32, hp: i32, wp: i32, c: i32, u: usize, co: i32, oh: i32, ow: i32,
  bias: usize, relu: bool, out: usize, blockTiles: i32, scratch: usize,
): void {
  const th = (oh + 1) >> 1;
  const tw = (ow + 1) >> 1;
  const tiles = n * th * tw;
  const v = scratch;
  const vPlane = planeBytes(blockTiles, c);
  const m = scratch + 16 * vPlane;
  const mPlane = planeBytes(blockTiles, co);
  const uPlane = <usize>(c * co) << 2;
  // Rows past the last tile of a block are computed and dropped: keep them finite.
  memory.fill(v, 0, 16 * vPlane);
  for (let t0 = 0; t0 < tiles; t0 += blockTiles) {
    const count = min(blockTiles, tiles - t0);
    for (let t = 0; t < count; t++) {
      const tile = t0 + t;
      const b = tile / (th * tw);
      const ty = (tile / tw) % th;
      const tx = tile % tw;
      inputTransform(xPadded + ((<usize>((b * hp + 2 * ty) * wp + 2 * tx) * <usize>c) << 2), <usize>(wp * c) << 2, c, v + ((<usize>(t * c)) << 2), vPlane);
    }
    const rows = (count + 3) & ~3;
    for (let p = 0; p < 16; p++) {
      blockGemm(v + <usize>p * vPlane, u + <usize>p * uPlane, m + <usize>p * mPlane, rows, c, co);
    }
    for (let t = 0; t < count; t++) {
      const tile = t0 + t;
      const b = tile / (th * tw);
      const ty = (tile / tw) % th;
      const tx = tile % tw;
      outputTransform(m + ((<usize>(t * co)) << 2), mPlane, co, bias, relu, out, b, 2 * ty, 2 * tx, oh, ow);
    }
  }
}

function inputTransform(d: usize, rowBytes: usize, c: i32, v: usize, plane: usize): void {
  const pixel = <usize>c << 2;
  for (let ci = 0; ci < c; ci += 4) {
    const o = <usize>ci << 2;
    const p0 = d + o;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    // Bᵀ·d over rows, then ·B over columns.
    const r00 = f32x4.sub(v128.load(p0), v128.load(p2));
    const r01 = f32x4.sub(v128.load(p0 + pixel), v128.load(p2 + pixel));
    const r02 = f32x4.sub(v128.load(p0 + 2 * pixel), v128.load(p2 + 2 * pixel));
    const r03 = f32x4.sub(v128.load(p0 + 3 * pixel), v128.load(p2 + 3 * pixel));
    const r10 = f32x4.add(v128.load(p1), v128.load(p2));
    const r11 = f32x4.add(v128.load(p1 + pixel), v128.load(p2 + pixel));
    const r12 = f32x4.add(v128.load(p1 + 2 * pixel), v128.load(p2 + 2 * pixel));
    const r13 = f32x4.add(v128.load(p1 + 3 * pixel), v128.load(p2 + 3 * pixel));
    const r20 = f32x4.sub(v128.load(p2), v128.load(p1));
    const r21 = f32x4.sub(v128.load(p2 + pixel), v128.load(p1 + pixel));
    const r22 = f32x4.sub(v128.load(p2 + 2 * pixel), v128.load(p1 + 2 * pixel));
    const r23 = f32x4.sub(v128.load(p2 + 3 * pixel), v128.load(p1 + 3 * pixel));
    const r30 = f32x4.sub(v128.load(p1), v128.load(p3));
    const r31 = f32x4.sub(v128.load(p1 + pixel), v128.load(p3 + pixel));
    const r32 = f32x4.sub(v128.load(p1 + 2 * pixel), v128.load(p3 + 2 * pixel));
    const r33 = f32x4.sub(v128.load(p1 + 3 * pixel), v128.load(p3 + 3 * pixel));
    const out = v + o;
    storeRowTimesB(out, plane, 0, r00, r01, r02, r03);
    storeRowTimesB(out, plane, 4, r10, r11, r12, r13);
    storeRowTimesB(out, plane, 8, r20, r21, r22, r23);
    storeRowTimesB(out, plane, 12, r30, r31, r32, r33);
  }
}

// @ts-ignore: decorator
@inline
function storeRowTimesB(at: usize, plane: usize, first: i32, x0: v128, x1: v128, x2: v128, x3: v128): void {
  v128.store(at + <usize>first * plane, f32x4.sub(x0, x2));
  v128.store(at + <usize>(first + 1) * plane, f32x4.add(x1, x2));
  v128.store(at + <usize>(first + 2) * plane, f32x4.sub(x2, x1));
  v128.store(at + <usize>(first + 3) * plane, f32x4.sub(x1, x3));
}

function outputTransform(
  m: usize, plane: usize, co: i32, bias: usize, relu: bool, out: usize, b: i32, y: i32, x: i32, oh: i32, ow: i32,
): void {
  const coBytes = <usize>co << 2;
  const base = out + <usize>((b * oh + y) * ow + x) * coBytes;
  const rowBytes = <usize>ow * coBytes;
  const hasRow1 = y + 1 < oh;
  const hasCol1 = x + 1 < ow;
  const zero = f32x4.splat(0);
  for (let j = 0; j < co; j += 4) {
    const o = <usize>j << 2;
    const q = m + o;
    // Aᵀ·M over rows (4 -> 2), then ·A over columns.
    const s00 = f32x4.add(f32x4.add(v128.load(q), v128.load(q + 4 * plane)), v128.load(q + 8 * plane));
    const s01 = f32x4.add(f32x4.add(v128.load(q + plane), v128.load(q + 5 * plane)), v128.load(q + 9 * plane));
    const s02 = f32x4.add(f32x4.add(v128.load(q + 2 * plane), v128.load(q + 6 * plane)), v128.load(q + 10 * plane));
    const s03 = f32x4.add(f32x4.add(v128.load(q + 3 * plane), v128.load(q + 7 * plane)), v128.load(q + 11 * plane));
    const s10 = f32x4.sub(f32x4.sub(v128.load(q + 4 * plane), v128.load(q + 8 * plane)), v128.load(q + 12 * plane));
    const s11 = f32x4.sub(f32x4.sub(v128.load(q + 5 * plane), v128.load(q + 9 * plane)), v128.load(q + 13 * plane));
    const s12 = f32x4.sub(f32x4.sub(v128.load(q + 6 * plane), v128.load(q + 10 * plane)), v128.load(q + 14 * plane));
    const s13 = f32x4.sub(f32x4.sub(v128.load(q + 7 * plane), v128.load(q + 11 * plane)), v128.load(q + 15 * plane));
    const add = bias == 0 ? zero : v128.load(bias + o);
    let y00 = f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), add);
    let y01 = f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), add);
    let y10 = f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), add);
    let y11 = f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), add);
    if (relu) {
      y00 = f32x4.max(y00, zero);
      y01 = f32x4.max(y01, zero);
      y10 = f32x4.max(y10, zero);
      y11 = f32x4.max(y11, zero);
    }
    v128.store(base + o, y00);
    if (hasCol1) v128.store(base + coBytes + o, y01);
    if (hasRow1) {
      v128.store(base + rowBytes + o, y10);
      if (hasCol1) v128.store(base + rowBytes + coBytes + o, y11);
    }
  }
}

/** c [m, n] = a [m, k] · b [k, n], row-major, m a multiple of 4 and n of 8 (small blocks, in cache). */
function blockGemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  const aStride = <usize>k << 2;
  const bStride = <usize>n << 2;
  for (let i = 0; i < m; i += 4) {
    for (let j = 0; j < n; j += 8) {
      gemmTile4x8(a + <usize>i * aStride, aStride, b + (<usize>j << 2), bStride, c + <usize>i * bStride + (<usize>j << 2), k);
    }
  }
}

function gemmTile4x8(a: usize, aStride: usize, b: usize, bStride: usize, c: usize, k: i32): void {
  const a1 = a + aStride;
  const a2 = a1 + aStride;
  const a3 = a2 + aStride;
  let acc00 = f32x4.splat(0);
  let acc01 = acc00;
  let acc10 = acc00;
  let acc11 = acc00;
  let acc20 = acc00;
  let acc21 = acc00;
  let acc30 = acc00;
  let acc31 = acc00;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const o = <usize>p << 2;
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let s = v128.load32_splat(a + o);
    acc00 = f32x4.add(acc00, f32x4.mul(s, b0));
    acc01 = f32x4.add(acc01, f32x4.mul(s, b1));
    s = v128.load32_splat(a1 + o);
    acc10 = f32x4.add(acc10, f32x4.mul(s, b0));
    acc11 = f32x4.add(acc11, f32x4.mul(s, b1));
    s = v128.load32_splat(a2 + o);
    acc20 = f32x4.add(acc20, f32x4.mul(s, b0));
    acc21 = f32x4.add(acc21, f32x4.mul(s, b1));
    s = v128.load32_splat(a3 + o);
    acc30 = f32x4.add(acc30, f32x4.mul(s, b0));
    acc31 = f32x4.add(acc31, f32x4.mul(s, b1));
    bp += bStride;
  }
  v128.store(c, acc00);
  v128.store(c, acc01, 16);
  v128.store(c + bStride, acc10);
  v128.store(c + bStride, acc11, 16);
  v128.store(c + 2 * bStride, acc20);
  v128.store(c + 2 * bStride, acc21, 16);
  v128.store(c + 3 * bStride, acc30);
  v128.store(c + 3 * bStride, acc31, 16);
}

/**
 * dFilter [3, 3, c, co] of a 3×3 stride-1 convolution by Winograd F(2×2, 3×3): with V = Bᵀ·d·B the
 * transformed input tiles and W = A·dy·Aᵀ the transformed output-gradient tiles,
 * dFilter = Gᵀ·(Σ over tiles V ⊙ W)·G, the sum being 16 GEMMs [c, tiles] × [tiles, co].
 * xPadded as for winogradConv3x3; c a multiple of 4, co of 8.
 * scratch: blockTiles · 16 · (c + co) + 16 · c · co + 512 float32.
 */
export function winogradFilterGrad3x3(
  xPadded: usize, n: i32, hp: i32, wp: i32, c: i32, dy: usize, oh: i32, ow: i32, co: i32,
  dFilter: usize, blockTiles: i32, scratch: usize,
): void {
  const th = (oh + 1) >> 1;
  const tw = (ow + 1) >> 1;
  const tiles = n * th * tw;
  const v = scratch;
  const vPlane = planeBytes(blockTiles, c);
  const w = v + 16 * vPlane;
  const wPlane = planeBytes(blockTiles, co);
  const sums = w + 16 * wPlane;
  const sPlane = <usize>(c * co) << 2;
  memory.fill(sums, 0, 16 * sPlane);
  for (let t0 = 0; t0 < tiles; t0 += blockTiles) {
    const count = min(blockTiles, tiles - t0);
    for (let t = 0; t < count; t++) {
      const tile = t0 + t;
      const b = tile / (th * tw);
      const ty = (tile / tw) % th;
      const tx = tile % tw;
      inputTransform(xPadded + ((<usize>((b * hp + 2 * ty) * wp + 2 * tx) * <usize>c) << 2), <usize>(wp * c) << 2, c, v + ((<usize>(t * c)) << 2), vPlane);
      gradientTransform(dy, co, b, 2 * ty, 2 * tx, oh, ow, w + ((<usize>(t * co)) << 2), wPlane);
    }
    for (let p = 0; p < 16; p++) {
      accumulateTransposedGemm(v + <usize>p * vPlane, w + <usize>p * wPlane, sums + <usize>p * sPlane, c, count, co);
    }
  }
  filterGradOutputTransform(sums, sPlane, c, co, dFilter);
}

/** w = A·dy·Aᵀ (4×4) of the 2×2 tile of dy at (y, x), zero past the edges of dy. */
function gradientTransform(dy: usize, co: i32, b: i32, y: i32, x: i32, oh: i32, ow: i32, w: usize, plane: usize): void {
  const coBytes = <usize>co << 2;
  const base = dy + <usize>((b * oh + y) * ow + x) * coBytes;
  const rowBytes = <usize>ow * coBytes;
  const hasRow1 = y + 1 < oh;
  const hasCol1 = x + 1 < ow;
  const zero = f32x4.splat(0);
  for (let j = 0; j < co; j += 4) {
    const o = <usize>j << 2;
    const p = v128.load(base + o);
    const q = hasCol1 ? v128.load(base + coBytes + o) : zero;
    const r = hasRow1 ? v128.load(base + rowBytes + o) : zero;
    const s = hasRow1 && hasCol1 ? v128.load(base + rowBytes + coBytes + o) : zero;
    // A·dy: rows [p q], [p+r q+s], [p-r q-s], [-r -s]; then ·Aᵀ: [u v] -> [u, u+v, u-v, -v].
    const at = w + o;
    storeRowTimesAT(at, plane, 0, p, q);
    storeRowTimesAT(at, plane, 4, f32x4.add(p, r), f32x4.add(q, s));
    storeRowTimesAT(at, plane, 8, f32x4.sub(p, r), f32x4.sub(q, s));
    storeRowTimesAT(at, plane, 12, f32x4.neg(r), f32x4.neg(s));
  }
}

// @ts-ignore: decorator
@inline
function storeRowTimesAT(at: usize, plane: usize, first: i32, u: v128, v: v128): void {
  v128.store(at + <usize>first * plane, u);
  v128.store(at + <usize>(first + 1) * plane, f32x4.add(u, v));
  v128.store(at + <usize>(first + 2) * plane, f32x4.sub(u, v));
  v128.store(at + <usize>(first + 3) * plane, f32x4.neg(v));
}

/** s [m, n] += aᵀ · b with a [k, m] and b [k, n] row-major (m a multiple of 4, n of 8). */
function accumulateTransposedGemm(a: usize, b: usize, s: usize, m: i32, k: i32, n: i32): void {
  const aStride = <usize>m << 2;
  const bStride = <usize>n << 2;
  for (let i = 0; i < m; i += 4) {
    for (let j = 0; j < n; j += 8) {
      filterGradTile4x8(a + (<usize>i << 2), 0, aStride, b + (<usize>j << 2), bStride, 1, k, s + <usize>i * bStride + (<usize>j << 2), bStride);
    }
  }
}

/** dFilter [3, 3, c, co] = Gᵀ·S·G for each (c, co), S [16, c, co]. */
function filterGradOutputTransform(s: usize, plane: usize, c: i32, co: i32, dFilter: usize): void {
  const half = f32x4.splat(0.5);
  const tap = plane;
  for (let k = 0; k < c; k++) {
    for (let j = 0; j < co; j += 4) {
      const o = (<usize>(k * co + j)) << 2;
      const q = s + o;
      // Gᵀ·S over rows (4 -> 3): r0 = S0 + (S1 + S2)/2, r1 = (S1 - S2)/2, r2 = (S1 + S2)/2 + S3.
      const r0 = gtRow0(v128.load(q), v128.load(q + 4 * plane), v128.load(q + 8 * plane), half);
      const r1 = gtRow0(v128.load(q + plane), v128.load(q + 5 * plane), v128.load(q + 9 * plane), half);
      const r2 = gtRow0(v128.load(q + 2 * plane), v128.load(q + 6 * plane), v128.load(q + 10 * plane), half);
      const r3 = gtRow0(v128.load(q + 3 * plane), v128.load(q + 7 * plane), v128.load(q + 11 * plane), half);
      const m0 = f32x4.mul(f32x4.sub(v128.load(q + 4 * plane), v128.load(q + 8 * plane)), half);
      const m1 = f32x4.mul(f32x4.sub(v128.load(q + 5 * plane), v128.load(q + 9 * plane)), half);
      const m2 = f32x4.mul(f32x4.sub(v128.load(q + 6 * plane), v128.load(q + 10 * plane)), half);
      const m3 = f32x4.mul(f32x4.sub(v128.load(q + 7 * plane), v128.load(q + 11 * plane)), half);
      const l0 = gtRow2(v128.load(q + 4 * plane), v128.load(q + 8 * plane), v128.load(q + 12 * plane), half);
      const l1 = gtRow2(v128.load(q + 5 * plane), v128.load(q + 9 * plane), v128.load(q + 13 * plane), half);
      const l2 = gtRow2(v128.load(q + 6 * plane), v128.load(q + 10 * plane), v128.load(q + 14 * plane), half);
      const l3 = gtRow2(v128.load(q + 7 * plane), v128.load(q + 11 * plane), v128.load(q + 15 * plane), half);
      // ·G over columns (4 -> 3), written to taps (a, 0..2).
      const out = dFilter + o;
      v128.store(out, gtRow0(r0, r1, r2, half));
      v128.store(out + tap, f32x4.mul(f32x4.sub(r1, r2), half));
      v128.store(out + 2 * tap, gtRow2(r1, r2, r3, half));
      v128.store(out + 3 * tap, gtRow0(m0, m1, m2, half));
      v128.store(out + 4 * tap, f32x4.mul(f32x4.sub(m1, m2), half));
      v128.store(out + 5 * tap, gtRow2(m1, m2, m3, half));
      v128.store(out + 6 * tap, gtRow0(l0, l1, l2, half));
      v128.store(out + 7 * tap, f32x4.mul(f32x4.sub(l1, l2), half));
      v128.store(out + 8 * tap, gtRow2(l1, l2, l3, half));
    }
  }
}

// @ts-ignore: decorator
@inline
function gtRow0(x0: v128, x1: v128, x2: v128, half: v128): v128 {
  return f32x4.add(x0, f32x4.mul(f32x4.add(x1, x2), half));
}

// @ts-ignore: decorator
@inline
function gtRow2(x1: v128, x2: v128, x3: v128, half: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.add(x1, x2), half), x3);
}
