import { valueNoise } from './noise.ts';

/**
 * A 2-D shape in pixel coordinates given by a signed distance function (negative inside), with a
 * bounding box and its half thickness (for the stain-density profile).
 */
export interface Shape {
  sdf(x: number, y: number): number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  halfWidth: number;
}

export interface Point {
  x: number;
  y: number;
}

/** The point distance away from p in direction angle (radians). */
export function step(p: Point, angle: number, distance: number): Point {
  return { x: p.x + Math.cos(angle) * distance, y: p.y + Math.sin(angle) * distance };
}

export const xy = (p: Point): [number, number] => [p.x, p.y];

function boxAround(cx: number, cy: number, extent: number): Pick<Shape, 'x0' | 'y0' | 'x1' | 'y1'> {
  return { x0: cx - extent, y0: cy - extent, x1: cx + extent, y1: cy + extent };
}

export function circle(cx: number, cy: number, r: number): Shape {
  return { sdf: (x, y) => Math.hypot(x - cx, y - cy) - r, ...boxAround(cx, cy, r), halfWidth: r };
}

/** Segment a-b thickened by r: a rod with round ends. */
export function capsule(a: Point, b: Point, r: number): Shape {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSq = dx * dx + dy * dy || 1e-9;
  return {
    sdf: (x, y) => {
      const px = x - a.x;
      const py = y - a.y;
      const t = Math.max(0, Math.min(1, (px * dx + py * dy) / lengthSq));
      return Math.hypot(px - t * dx, py - t * dy) - r;
    },
    x0: Math.min(a.x, b.x) - r,
    y0: Math.min(a.y, b.y) - r,
    x1: Math.max(a.x, b.x) + r,
    y1: Math.max(a.y, b.y) + r,
    halfWidth: r,
  };
}

/** Rotated ellipse (Quilez's distance approximation: exact on the boundary, good near it). */
export function ellipse(cx: number, cy: number, rx: number, ry: number, angle: number): Shape {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const extentX = Math.hypot(rx * cos, ry * sin);
  const extentY = Math.hypot(rx * sin, ry * cos);
  return {
    sdf: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      const u = Math.abs(dx * cos + dy * sin);
      const v = Math.abs(-dx * sin + dy * cos);
      const k0 = Math.hypot(u / rx, v / ry);
      const k1 = Math.hypot(u / (rx * rx), v / (ry * ry));
      return k1 < 1e-9 ? -Math.min(rx, ry) : (k0 * (k0 - 1)) / k1;
    },
    x0: cx - extentX,
    y0: cy - extentY,
    x1: cx + extentX,
    y1: cy + extentY,
    halfWidth: Math.min(rx, ry),
  };
}

/** Rotated rectangle with rounded corners (boxcar rods). */
export function roundedBox(cx: number, cy: number, halfLength: number, halfWidth: number, angle: number, rounding: number): Shape {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const innerU = halfLength - rounding;
  const innerV = halfWidth - rounding;
  return {
    sdf: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      const qu = Math.abs(dx * cos + dy * sin) - innerU;
      const qv = Math.abs(-dx * sin + dy * cos) - innerV;
      return Math.hypot(Math.max(qu, 0), Math.max(qv, 0)) + Math.min(Math.max(qu, qv), 0) - rounding;
    },
    ...boxAround(cx, cy, Math.hypot(halfLength, halfWidth)),
    halfWidth,
  };
}

/**
 * A body along an axis whose half width is widthAt(t) for t in [-1, 1] from tail to tip
 * (approximate distance; accurate enough for 1 px antialiasing).
 */
export function profiled(cx: number, cy: number, angle: number, halfLength: number, widthAt: (t: number) => number, maxHalfWidth: number): Shape {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return {
    sdf: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      const u = dx * cos + dy * sin;
      const v = Math.abs(-dx * sin + dy * cos);
      const t = Math.max(-1, Math.min(1, u / halfLength));
      return Math.max(v - widthAt(t), Math.abs(u) - halfLength);
    },
    ...boxAround(cx, cy, Math.max(halfLength, maxHalfWidth)),
    halfWidth: maxHalfWidth,
  };
}

/**
 * Lancet (candle-flame) coccus: round at the tail, tapering to a point at the tip, which faces
 * along angle. Half width ∝ sqrt(1 + t)(1 - t), widest at t = -1/3 (where it equals 1.0887).
 */
export function lancet(cx: number, cy: number, angle: number, length: number, width: number): Shape {
  const w = width / 2 / 1.0887;
  return profiled(cx, cy, angle, length / 2, (t) => w * Math.sqrt(1 + t) * (1 - t), width / 2);
}

/** Kidney-bean coccus: a disk with a flattened, slightly concave face towards its partner. */
export function bean(cx: number, cy: number, r: number, partnerAngle: number): Shape {
  const cut = 2.2 * r;
  const nx = Math.cos(partnerAngle);
  const ny = Math.sin(partnerAngle);
  const kx = cx + nx * (0.7 * r + cut);
  const ky = cy + ny * (0.7 * r + cut);
  return {
    sdf: (x, y) => Math.max(Math.hypot(x - cx, y - cy) - r, cut - Math.hypot(x - kx, y - ky)),
    ...boxAround(cx, cy, r),
    halfWidth: r * 0.8,
  };
}

/** Irregular blob: a disk whose radius wobbles with seeded noise (debris, amorphous clumps). */
export function blob(cx: number, cy: number, r: number, roughness: number, seed: number): Shape {
  const frequency = 2.2 / r;
  return {
    sdf: (x, y) => Math.hypot(x - cx, y - cy) - r * (1 + roughness * (valueNoise(x * frequency, y * frequency, seed) * 2 - 1)),
    ...boxAround(cx, cy, r * (1 + roughness)),
    halfWidth: r,
  };
}

/** Closed polygon (any winding), optionally rounded outward. */
export function polygon(points: readonly Point[], rounding: number): Shape {
  const n = points.length;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const cx = xs.reduce((a, b) => a + b, 0) / n;
  const cy = ys.reduce((a, b) => a + b, 0) / n;
  const inradius = Math.min(...points.map((p) => Math.hypot(p.x - cx, p.y - cy)));
  return {
    sdf: (x, y) => {
      let d = Infinity;
      let inside = false;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const ex = xs[j] - xs[i];
        const ey = ys[j] - ys[i];
        const wx = x - xs[i];
        const wy = y - ys[i];
        const t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
        d = Math.min(d, Math.hypot(wx - ex * t, wy - ey * t));
        if (ys[i] > y !== ys[j] > y && x < (ex * (y - ys[i])) / ey + xs[i]) inside = !inside;
      }
      return (inside ? -d : d) - rounding;
    },
    x0: Math.min(...xs) - rounding,
    y0: Math.min(...ys) - rounding,
    x1: Math.max(...xs) + rounding,
    y1: Math.max(...ys) + rounding,
    halfWidth: inradius,
  };
}

export function union(shapes: readonly Shape[]): Shape {
  return {
    sdf: (x, y) => {
      let d = Infinity;
      for (const shape of shapes) d = Math.min(d, shape.sdf(x, y));
      return d;
    },
    x0: Math.min(...shapes.map((s) => s.x0)),
    y0: Math.min(...shapes.map((s) => s.y0)),
    x1: Math.max(...shapes.map((s) => s.x1)),
    y1: Math.max(...shapes.map((s) => s.y1)),
    halfWidth: Math.max(...shapes.map((s) => s.halfWidth)),
  };
}
