import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Exports of build/wasm/kernels.wasm (source: src/engine/asm/kernels.ts); pointers are heap byte offsets. */
interface MainKernels {
  transpose2d(x: number, rows: number, cols: number, out: number): void;
  phaseFilter(w: number, kw: number, c: number, co: number, ry: number, rx: number, sh: number, sw: number, jh: number, jw: number, out: number): void;
  columnSums(x: number, rows: number, cols: number, sums: number, scratch: number): void;
  reluGrad(dy: number, activation: number, rows: number, cols: number, out: number, sums: number, scratch: number): void;
  rangeGrad(dy: number, x: number, size: number, lo: number, hi: number, loExclusive: boolean, out: number): void;
  maxPool2x2(x: number, n: number, h: number, w: number, c: number, oh: number, ow: number, out: number): void;
  maxPoolGradTiled(x: number, dy: number, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number, dx: number): void;
  maxPoolGradGeneral(x: number, dy: number, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number, strideH: number, strideW: number, padTop: number, padLeft: number, dx: number): void;
  padImages(x: number, n: number, h: number, w: number, c: number, top: number, left: number, hp: number, wp: number, out: number): void;
  scatterStrided(part: number, n: number, rows: number, cols: number, c: number, dx: number, h: number, w: number, y0: number, x0: number, sh: number, sw: number): void;
  conv2dForward(xPadded: number, n: number, hp: number, wp: number, c: number, filter: number, kh: number, kw: number, co: number, strideH: number, strideW: number, oh: number, ow: number, bias: number, relu: boolean, out: number): void;
  conv2dFilterGrad(xPadded: number, n: number, hp: number, wp: number, c: number, dy: number, oh: number, ow: number, co: number, kh: number, kw: number, strideH: number, strideW: number, dFilter: number): void;
  winogradFilterTransform(filter: number, c: number, co: number, u: number): void;
  winogradConv3x3(xPadded: number, n: number, hp: number, wp: number, c: number, u: number, co: number, oh: number, ow: number, bias: number, relu: boolean, out: number, blockTiles: number, scratch: number): void;
  winogradFilterGrad3x3(xPadded: number, n: number, hp: number, wp: number, c: number, dy: number, oh: number, ow: number, co: number, dFilter: number, blockTiles: number, scratch: number): void;
  moments(x: number, rows: number, channels: number, mean: number, variance: number, scratch: number): void;
  batchNormTraining(x: number, rows: number, channels: number, scale: number, offset: number, epsilon: number, y: number, mean: number, invStd: number, scratch: number): void;
  batchNormTrainingGrad(dy: number, x: number, rows: number, channels: number, scale: number, mean: number, invStd: number, dx: number, dScale: number, dOffset: number, scratch: number): void;
  avgPoolGrad(dy: number, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number, strideH: number, strideW: number, padTop: number, padLeft: number, scale: number, dx: number): void;
}

/** Exports of build/wasm/depthwise.wasm (source: src/engine/asm/depthwise.ts). */
interface DepthwiseKernels {
  depthwiseForward(x: number, n: number, h: number, w: number, c: number, filter: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number, oh: number, ow: number, out: number): void;
  depthwiseInputGrad(dy: number, n: number, oh: number, ow: number, c: number, filter: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number, h: number, w: number, dx: number): void;
  depthwiseFilterGrad(x: number, n: number, h: number, w: number, c: number, dy: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number, dFilter: number): void;
}

export type SimdKernels = MainKernels & DepthwiseKernels;

/** The compiled modules, one per file of src/engine/asm. */
const SIMD_KERNEL_PATHS = ['kernels', 'depthwise'].map((name) => fileURLToPath(new URL(`../../build/wasm/${name}.wasm`, import.meta.url)));

/** The kernel modules not built yet (empty when all are). */
export function missingSimdKernels(): string[] {
  return SIMD_KERNEL_PATHS.filter((path) => !existsSync(path));
}

/** Instantiates the kernels on the wasm backend's own memory, so they work on tensors in place. */
export function loadSimdKernels(memory: WebAssembly.Memory): SimdKernels {
  const missing = missingSimdKernels();
  if (missing.length > 0) {
    throw new Error(`SIMD training kernels not built (${missing.join(', ')} missing); run: npm run build:kernels`);
  }
  const imports = {
    env: {
      memory,
      abort: () => {
        throw new Error('SIMD training kernel aborted');
      },
    },
  };
  const exports = SIMD_KERNEL_PATHS.map((path) => new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), imports).exports);
  return Object.assign({}, ...exports) as SimdKernels;
}
