import type { FieldPrediction } from './field-predictor.ts';

/** What one real photo's whole-field answer was, against the one morphotype it shows. */
export interface PhotoVerdict {
  /** The field's label, or 'refused' when nothing was predicted (the quality gate, or a refusal). */
  answer: string;
  /** The morphotype itself, or a group's answer with the morphotype among the members found. */
  right: boolean;
  /** "Several morphotypes". */
  multiple: boolean;
  /** Nothing predicted, or "uncertain: refer". */
  refusedOrUncertain: boolean;
  /** Nothing predicted: a refusal (a failed quality check included). */
  refused: boolean;
  /** Predicted, not uncertain, and not right. */
  wrongAndConfident: boolean;
}

/** Judges a field prediction of a photo whose only morphotype is `truth`. */
export function judgePhoto(prediction: Pick<FieldPrediction, 'decision' | 'uncertain'>, truth: string): PhotoVerdict {
  const { decision } = prediction;
  if (!decision) return { answer: 'refused', right: false, multiple: false, refusedOrUncertain: true, refused: true, wrongAndConfident: false };
  const group = decision.findings.find((finding) => finding.label === decision.label);
  const right = decision.label === truth || (group?.members.includes(truth) ?? false);
  const uncertain = prediction.uncertain;
  return { answer: decision.label, right, multiple: decision.multiple, refusedOrUncertain: uncertain, refused: false, wrongAndConfident: !uncertain && !right };
}

export interface PhotoSetSummary {
  photos: number;
  /** Shares of the photos. */
  right: number;
  rightAndConfident: number;
  multiple: number;
  wrongAndConfident: number;
  refusedOrUncertain: number;
  /** Answered "uncertain: refer" (right or wrong), and refused: with rightAndConfident and wrongAndConfident, every photo once. */
  uncertain: number;
  refused: number;
  /** Photos per answer. */
  answers: Record<string, number>;
}

export function summarisePhotos(verdicts: readonly PhotoVerdict[]): PhotoSetSummary {
  const share = (test: (v: PhotoVerdict) => boolean): number => (verdicts.length === 0 ? Number.NaN : verdicts.filter(test).length / verdicts.length);
  const answers: Record<string, number> = {};
  for (const { answer } of verdicts) answers[answer] = (answers[answer] ?? 0) + 1;
  return {
    photos: verdicts.length,
    right: share((v) => v.right),
    rightAndConfident: share((v) => v.right && !v.refusedOrUncertain),
    multiple: share((v) => v.multiple),
    wrongAndConfident: share((v) => v.wrongAndConfident),
    refusedOrUncertain: share((v) => v.refusedOrUncertain),
    uncertain: share((v) => v.refusedOrUncertain && !v.refused),
    refused: share((v) => v.refused),
    answers,
  };
}
