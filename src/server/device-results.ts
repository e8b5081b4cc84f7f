import type { DeviceResult } from '../contract/index.ts';
import { HttpError } from './errors.ts';

/** How far the probabilities a device sends may sum away from 1 (float32 softmax over many classes). */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;
/** The most a device's result may take in the audit row (the photo aside): a label tree and a field summary fit many times over. */
export const MAX_RESULT_BYTES = 256 * 1024;
/** How far ahead of the server's clock a device's clock may run. */
export const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;

/**
 * Checks what a device says its model answered, beyond the JSON schema: not larger than an audit
 * row should be, every probability finite
 * and in [0, 1], summing to 1, and the top class the most probable one of the classes sent. A whole
 * field's top is its decision's answer instead (a class, a group of the label tree or the mixed
 * class, not always the most probable class): it must be the field summary's label.
 */
export function checkDeviceResult(result: DeviceResult): DeviceResult {
  if (JSON.stringify(result).length > MAX_RESULT_BYTES) throw new HttpError(413, `the result is larger than ${MAX_RESULT_BYTES / 1024} kB`);
  if (result.refusal) return result;
  const { classes, top } = result;
  if (classes.length === 0) throw new HttpError(400, 'an answered result needs its classes');
  if (!classes.every((c) => Number.isFinite(c.probability) && c.probability >= 0 && c.probability <= 1) || !Number.isFinite(top.probability)) {
    throw new HttpError(400, 'every probability must be a finite number in [0, 1]');
  }
  const sum = classes.reduce((total, c) => total + c.probability, 0);
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) throw new HttpError(400, `the class probabilities must sum to 1 (they sum to ${sum.toFixed(4)})`);
  if (new Set(classes.map((c) => c.label)).size !== classes.length) throw new HttpError(400, 'each class may appear once');
  if (result.field) {
    if (top.label !== result.field.label || top.probability < 0 || top.probability > 1) throw new HttpError(400, "a whole field's top must be its answer (field.label), with a probability in [0, 1]");
    return result;
  }
  const most = Math.max(...classes.map((c) => c.probability));
  const topClass = classes.find((c) => c.label === top.label);
  if (!topClass || Math.abs(topClass.probability - top.probability) > 1e-9 || top.probability < most - 1e-9) {
    throw new HttpError(400, 'top must be the most probable of the classes sent');
  }
  return result;
}

/** A device's time (ISO) in milliseconds, refused when it lies ahead of the server's clock by more than the margin. */
export function deviceTime(madeAt: string, now: number): number {
  const time = Date.parse(madeAt);
  if (!Number.isFinite(time)) throw new HttpError(400, `madeAt is not a time: "${madeAt.slice(0, 40)}"`);
  if (time > now + MAX_CLOCK_AHEAD_MS) throw new HttpError(400, `madeAt (${madeAt}) is in the future: check the device's clock`);
  return time;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The photo a device sends as base64, decoded. */
export function photoFromBase64(text: string): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new HttpError(400, 'image must be the photo as base64');
  return Buffer.from(text, 'base64');
}
