/** A whole field's "uncertain: refer" from its own evidence, and fitting its levels on validation fields. */
import type { FieldReferral } from '../contract/index.ts';
import type { FieldDecision } from './decision.ts';

/**
 * Share of validation fields each referral level may send to "uncertain: refer": one in ten. Chosen
 * on the development photos (GramStainR reference/ and dibas/, never clinical/): at 0.05 (the tiles'
 * 95%) 7.3% of them stayed wrong and confident, DIBaS B. fragilis read as GNC with 4-12% of their
 * tiles unfamiliar, against at most 12% in 95% of the validation fields.
 */
export const DEFAULT_FIELD_REFERRAL_TARGET = 0.1;

/**
 * Whether a field's answer is "uncertain: refer": always when the decision refers (organisms seen
 * without evidence for any class); with the bundle's fitted referral, when too much of the field is
 * unlike the training images or its weakest finding is unclear (evidenceShare); an answer without
 * findings ("no organisms"), and every answer of older bundles without the referral, when it is of
 * one morphotype or none and its field-level probability is below the tiles' referral level.
 */
export function fieldUncertain(
  decision: Pick<FieldDecision, 'refer' | 'multiple' | 'probability' | 'evidenceShare'>,
  unfamiliarShare: number,
  referral: FieldReferral | undefined,
  tileReferBelow: number,
): boolean {
  if (decision.refer) return true;
  if (referral && unfamiliarShare > referral.maxUnfamiliarShare) return true;
  // "No organisms" keeps the stricter tiles' level: false reassurance is the worst answer.
  if (!referral || decision.evidenceShare === null) return !decision.multiple && decision.probability < tileReferBelow;
  return decision.evidenceShare < referral.minEvidenceShare;
}

/** One validation field as the referral is fitted on it. */
export interface ReferralSample {
  /** The decision's evidenceShare (null: no finding). */
  evidenceShare: number | null;
  /** The answer is the field's class (a group's, with it among the members found). */
  right: boolean;
  /** Share of the tiles read that were unlike the training images. */
  unfamiliarShare: number;
}

/** The value with at most `share` of the sorted values strictly beyond it, counted from the low end (or the high end with `fromTop`). */
function quantileKeeping(values: readonly number[], share: number, fromTop: boolean): number {
  const sorted = [...values].sort((a, b) => (fromTop ? b - a : a - b));
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}

/**
 * The referral levels from validation fields: the evidence share below which lies at most `target`
 * of the right answers that have findings (an answer less clear than nearly every right one is
 * referred; without any such answer, every answer short of all its tiles confident), and the
 * unfamiliar share above which lies at most `target` of all the fields.
 */
export function fitFieldReferral(samples: readonly ReferralSample[], target = DEFAULT_FIELD_REFERRAL_TARGET): FieldReferral {
  if (!(target >= 0 && target < 1)) throw new Error(`the share of validation fields to refer must be in [0, 1), got ${target}`);
  if (samples.length === 0) throw new Error('no validation fields to fit the field referral on');
  const evidence = samples.flatMap((s) => (s.right && s.evidenceShare !== null ? [s.evidenceShare] : []));
  const minEvidenceShare = evidence.length > 0 ? quantileKeeping(evidence, target, false) : 1;
  return { minEvidenceShare, maxUnfamiliarShare: quantileKeeping(samples.map((s) => s.unfamiliarShare), target, true) };
}
