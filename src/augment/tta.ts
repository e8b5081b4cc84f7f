import { AUGMENT_PRESETS, type AugmentConfig, type AugmentPresetName } from './config.ts';

/**
 * One view of test-time augmentation: the image flipped left to right when `flip`, then turned
 * counter-clockwise by `quarterTurns` (the 8 views together are the square's symmetries).
 */
export interface TtaView {
  flip: boolean;
  quarterTurns: 0 | 1 | 2 | 3;
}

const IDENTITY: TtaView = { flip: false, quarterTurns: 0 };

/**
 * The views test-time augmentation averages over: every combination of the flips and quarter turns
 * the training augmentation used (the group they generate, identity first), so a model is only
 * asked about orientations it was trained on. Microscopy's flips and turns give all 8 on a square
 * input (4 on a non-square one, whose turns are half turns only, as in training); a horizontal flip
 * alone gives 2; none gives the image alone.
 */
export function ttaViewsFor(augment: AugmentConfig | AugmentPresetName | undefined, square: boolean): TtaView[] {
  const config: AugmentConfig = typeof augment === 'string' ? AUGMENT_PRESETS[augment] : (augment ?? {});
  const generators: TtaView[] = [];
  if (config.flipHorizontal?.p) generators.push({ flip: true, quarterTurns: 0 });
  if (config.flipVertical?.p) generators.push({ flip: true, quarterTurns: 2 });
  if (config.rotate90?.p) generators.push({ flip: false, quarterTurns: square ? 1 : 2 });
  const views: TtaView[] = [IDENTITY];
  for (let i = 0; i < views.length; i++) {
    for (const generator of generators) {
      const next = composeViews(views[i], generator);
      if (!views.some((view) => sameView(view, next))) views.push(next);
    }
  }
  return views;
}

/** `second` applied after `first`: a flip reverses the direction of the turns before it. */
export function composeViews(first: TtaView, second: TtaView): TtaView {
  const turns = second.quarterTurns + (second.flip ? -first.quarterTurns : first.quarterTurns);
  return { flip: first.flip !== second.flip, quarterTurns: (((turns % 4) + 4) % 4) as TtaView['quarterTurns'] };
}

function sameView(a: TtaView, b: TtaView): boolean {
  return a.flip === b.flip && a.quarterTurns === b.quarterTurns;
}

/**
 * A view of every image of a packed N × H × W × C batch (any element type); odd turns swap height
 * and width, so they need square images. Turns follow numpy.rot90 (counter-clockwise). The identity
 * view is the batch itself, not a copy.
 */
export function viewOfBatch<T extends Float32Array | Uint8Array>(batch: T, shape: readonly [number, number, number, number], view: TtaView): T {
  const [n, h, w, c] = shape;
  if (view.quarterTurns % 2 === 1 && h !== w) throw new Error(`a quarter turn needs square images; these are ${h}×${w}`);
  if (!view.flip && view.quarterTurns === 0) return batch;
  const out = new (batch.constructor as { new (length: number): T })(batch.length);
  const size = h * w * c;
  for (let image = 0; image < n; image++) {
    const base = image * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [sy, sx] = sourcePixel(y, x, h, w, view);
        const from = base + (sy * w + sx) * c;
        const to = base + (y * w + x) * c;
        for (let ch = 0; ch < c; ch++) out[to + ch] = batch[from + ch];
      }
    }
  }
  return out;
}

/** The source pixel of output pixel (y, x): undo the turns (counter-clockwise), then the flip. */
function sourcePixel(y: number, x: number, h: number, w: number, view: TtaView): [number, number] {
  let sy: number;
  let sx: number;
  switch (view.quarterTurns) {
    case 0:
      [sy, sx] = [y, x];
      break;
    case 1:
      [sy, sx] = [x, w - 1 - y];
      break;
    case 2:
      [sy, sx] = [h - 1 - y, w - 1 - x];
      break;
    case 3:
      [sy, sx] = [h - 1 - x, y];
      break;
  }
  return [sy, view.flip ? w - 1 - sx : sx];
}
