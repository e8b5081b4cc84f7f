// SIMD depthwise convolution kernels (channel multiplier 1), compiled by scripts/build-kernels.mjs to
// build/wasm/depthwise.wasm. Same conventions as kernels.ts: the module imports the wasm backend's
// memory, every pointer is a byte offset into that heap and every size a number of float32 elements,
// tensors are NHWC and filters [kh, kw, c]. Nothing is allocated and there is no static data (a data
// segment would be written into the backend's heap).
//
// Padding is never materialised: each output (or input-gradient) pixel runs over the taps that land
// inside the image. Negative byte steps wrap around in 32-bit arithmetic, as wasm32 addresses do.

/** Channels accumulated together (4 vectors held in registers); the rest take 4-channel and scalar tails. */
const CHANNEL_BLOCK = 16;

/**
 * out[ci] = Σ over a rows × cols grid of taps of src[tap][ci] · w[tap][ci], ci in [0, channels); the
 * tap (r, q) reads src + r·srcRowStep + q·srcColStep and w + r·wRowStep + q·wColStep. No taps: zeros.
 */
function gatherTaps(
  src: usize, srcRowStep: usize, srcColStep: usize, w: usize, wRowStep: usize, wColStep: usize,
  rows: i32, cols: i32, channels: i32, out: usize,
): void {
  let ci = 0;
  for (; ci + CHANNEL_BLOCK <= channels; ci += CHANNEL_BLOCK) {
    const o = <usize>ci << 2;
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let sRow = src + o;
    let wRow = w + o;
    for (let r = 0; r < rows; r++) {
      let s = sRow;
      let k = wRow;
      for (let q = 0; q < cols; q++) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load(s), v128.load(k)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(s, 16), v128.load(k, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(s, 32), v128.load(k, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(s, 48), v128.load(k, 48)));
        s += srcColStep;
        k += wColStep;
      }
      sRow += srcRowStep;
      wRow += wRowStep;
    }
    v128.store(out + o, a0);
    v128.store(out + o, a1, 16);
    v128.store(out + o, a2, 32);
    v128.store(out + o, a3, 48);
  }
  for (; ci + 4 <= channels; ci += 4) {
    const o = <usize>ci << 2;
    let acc = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      let s = src + o + <usize>r * srcRowStep;
      let k = w + o + <usize>r * wRowStep;
      for (let q = 0; q < cols; q++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(s), v128.load(k)));
        s += srcColStep;
        k += wColStep;
      }
    }
    v128.store(out + o, acc);
  }
  for (; ci < channels; ci++) {
    const o = <usize>ci << 2;
    let acc: f32 = 0;
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        acc += load<f32>(src + o + <usize>r * srcRowStep + <usize>q * srcColStep) * load<f32>(w + o + <usize>r * wRowStep + <usize>q * wColStep);
      }
    }
    store<f32>(out + o, acc);
  }
}

/**
 * out [n, oh, ow, c]: out[b, y, x, ci] = Σ x[b, y·sh + ky - top, x·sw + kx - left, ci] · filter[ky, kx, ci]
 * over the taps inside the image (zero padding).
 */
export function depthwiseForward(
  x: usize, n: i32, h: i32, w: i32, c: i32, filter: usize, kh: i32, kw: i32,
  sh: i32, sw: i32, top: i32, left: i32, oh: i32, ow: i32, out: usize,
): void {
  const pixel = <usize>c << 2;
  const filterRow = <usize>kw * pixel;
  let dst = out;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const iy = y * sh - top;
      const ky0 = max(0, -iy);
      const rows = min(kh, h - iy) - ky0;
      const imageRow = (b * h + iy + ky0) * w;
      for (let xo = 0; xo < ow; xo++) {
        const ix = xo * sw - left;
        const kx0 = max(0, -ix);
        const cols = min(kw, w - ix) - kx0;
        const src = x + <usize>(imageRow + ix + kx0) * pixel;
        const taps = filter + <usize>(ky0 * kw + kx0) * pixel;
        gatherTaps(src, <usize>w * pixel, pixel, taps, filterRow, pixel, max(rows, 0), max(cols, 0), c, dst);
        dst += pixel;
      }
    }
  }
}

/**
 * The first tap of one axis that reaches padded input position t: the lowest k ≡ t (mod stride) whose
 * output position (t - k) / stride is below outSize.
 */
// @ts-ignore: decorator
@inline
function firstTap(t: i32, stride: i32, outSize: i32): i32 {
  const lowest = max(0, t - stride * (outSize - 1));
  return lowest + (t - lowest) % stride;
}

/** How many taps, every stride-th from `first`, reach t: those up to min(kernel - 1, t). */
// @ts-ignore: decorator
@inline
function tapCount(first: i32, t: i32, stride: i32, kernel: i32): i32 {
  const last = min(kernel - 1, t);
  return first > last ? 0 : (last - first) / stride + 1;
}

/**
 * dx [n, h, w, c], the input gradient of depthwiseForward: each input pixel gathers dy over the output
 * pixels whose window covers it (stride phases: a tap step of one stride is one output pixel back).
 */
export function depthwiseInputGrad(
  dy: usize, n: i32, oh: i32, ow: i32, c: i32, filter: usize, kh: i32, kw: i32,
  sh: i32, sw: i32, top: i32, left: i32, h: i32, w: i32, dx: usize,
): void {
  const pixel = <usize>c << 2;
  const dyRow = <usize>ow * pixel;
  const filterRowStep = <usize>(sh * kw) * pixel;
  const filterColStep = <usize>sw * pixel;
  let dst = dx;
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      const ty = iy + top;
      const ky0 = firstTap(ty, sh, oh);
      const rows = tapCount(ky0, ty, sh, kh);
      const dyImageRow = (b * oh + (ty - ky0) / sh) * ow;
      for (let ix = 0; ix < w; ix++) {
        const tx = ix + left;
        const kx0 = firstTap(tx, sw, ow);
        const cols = tapCount(kx0, tx, sw, kw);
        const src = dy + <usize>(dyImageRow + (tx - kx0) / sw) * pixel;
        const taps = filter + <usize>(ky0 * kw + kx0) * pixel;
        gatherTaps(src, -dyRow, -pixel, taps, filterRowStep, filterColStep, rows, cols, c, dst);
        dst += pixel;
      }
    }
  }
}

/**
 * d[ci] += Σ_{i < count} a[i·aStep][ci] · g[i·gStep][ci] for ci in [0, channels), channels ≤ 16
 * (one block of the filter gradient).
 */
function accumulateProducts(a: usize, aStep: usize, g: usize, gStep: usize, count: i32, channels: i32, d: usize): void {
  if (channels == CHANNEL_BLOCK) {
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let s = a;
    let t = g;
    for (let i = 0; i < count; i++) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(s), v128.load(t)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(s, 16), v128.load(t, 16)));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(s, 32), v128.load(t, 32)));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(s, 48), v128.load(t, 48)));
      s += aStep;
      t += gStep;
    }
    v128.store(d, f32x4.add(v128.load(d), a0));
    v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), a3), 48);
    return;
  }
  let ci = 0;
  for (; ci + 4 <= channels; ci += 4) {
    const o = <usize>ci << 2;
    let acc = f32x4.splat(0);
    for (let i = 0; i < count; i++) acc = f32x4.add(acc, f32x4.mul(v128.load(a + o + <usize>i * aStep), v128.load(g + o + <usize>i * gStep)));
    v128.store(d + o, f32x4.add(v128.load(d + o), acc));
  }
  for (; ci < channels; ci++) {
    const o = <usize>ci << 2;
    let acc: f32 = 0;
    for (let i = 0; i < count; i++) acc += load<f32>(a + o + <usize>i * aStep) * load<f32>(g + o + <usize>i * gStep);
    store<f32>(d + o, load<f32>(d + o) + acc);
  }
}

/**
 * dFilter [kh, kw, c] = Σ over images and output pixels of x (at each tap) · dy, the filter gradient of
 * depthwiseForward. Per output row and block of 16 channels, every tap sums over the row's pixels whose
 * tap lies inside the image; the block's slices of the rows stay in L1 across the taps.
 */
export function depthwiseFilterGrad(
  x: usize, n: i32, h: i32, w: i32, c: i32, dy: usize, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, top: i32, left: i32, dFilter: usize,
): void {
  const pixel = <usize>c << 2;
  memory.fill(dFilter, 0, <usize>(kh * kw) * pixel);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const iy = y * sh - top;
      const ky0 = max(0, -iy);
      const ky1 = min(kh, h - iy);
      const dyRow = dy + <usize>((b * oh + y) * ow) * pixel;
      for (let c0 = 0; c0 < c; c0 += CHANNEL_BLOCK) {
        const channels = min(CHANNEL_BLOCK, c - c0);
        const o = <usize>c0 << 2;
        for (let ky = ky0; ky < ky1; ky++) {
          const xRow = x + <usize>((b * h + iy + ky) * w) * pixel + o;
          for (let kx = 0; kx < kw; kx++) {
            // Output columns whose input column xo·sw + kx - left lies in [0, w).
            const x0 = kx >= left ? 0 : (left - kx + sw - 1) / sw;
            const x1 = w - 1 + left - kx < 0 ? 0 : min(ow, (w - 1 + left - kx) / sw + 1);
            if (x0 >= x1) continue;
            const a = xRow + <usize>(x0 * sw + kx - left) * pixel;
            accumulateProducts(a, <usize>sw * pixel, dyRow + <usize>x0 * pixel + o, pixel, x1 - x0, channels, dFilter + <usize>(ky * kw + kx) * pixel + o);
          }
        }
      }
    }
  }
}
