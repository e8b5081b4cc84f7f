import type { BundleMetadata } from './bundle.ts';

/**
 * The version the audit trail records with each prediction: architecture and creation time, and
 * when `gramlens calibrate` recalibrated the bundle, that time too (the same weights then give
 * other probabilities and referrals).
 */
export function modelVersionOf(metadata: BundleMetadata): string {
  const base = `${metadata.architecture.name}@${metadata.createdAt}`;
  return metadata.calibration?.source === 'site' ? `${base}+calibrated@${metadata.calibration.at ?? 'unknown'}` : base;
}
