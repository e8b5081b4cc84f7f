// Kappa is evaluation math (evaluate/ owns it, beside the other statistics); this file only gathers the store's votes for it.
import { cohensKappa, fleissKappa } from '../evaluate/index.ts';

export interface Rating {
  annotatorId: number;
  username: string;
  label: string;
  /** Earlier ratings are preferred when an image has more ratings than Fleiss' kappa uses. */
  createdAt: number;
}

export interface PairAgreement {
  annotators: [{ id: number; username: string }, { id: number; username: string }];
  /** Images both annotators labelled. */
  items: number;
  /** Cohen's kappa; null when undefined (no shared images, or chance agreement is already total). */
  kappa: number | null;
}

export interface AgreementReport {
  categories: string[];
  pairs: PairAgreement[];
  fleiss: {
    /** Fleiss' kappa; null when undefined (no image with enough ratings, or no variation at all). */
    kappa: number | null;
    /** Images with at least `ratersPerItem` ratings; each contributes its earliest `ratersPerItem`. */
    items: number;
    ratersPerItem: number;
  };
}

function definedOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/**
 * Chance-corrected agreement of a project's annotators. `ratingsByImage` holds each image's
 * ratings over `categories` (ratings outside them, e.g. 'skip', must be left out beforehand).
 * Fleiss' kappa needs the same number of raters per image: max(2, labelsRequired), the earliest
 * ratings of each image that has that many.
 */
export function agreementReport(ratingsByImage: readonly (readonly Rating[])[], categories: readonly string[], labelsRequired: number): AgreementReport {
  const index = new Map(categories.map((category, i) => [category, i]));
  const categoryOf = (rating: Rating): number => {
    const i = index.get(rating.label);
    if (i === undefined) throw new Error(`rating "${rating.label}" is not one of the categories`);
    return i;
  };

  const annotators = new Map<number, string>();
  for (const ratings of ratingsByImage) for (const r of ratings) annotators.set(r.annotatorId, r.username);
  const ids = [...annotators.keys()].sort((a, b) => a - b);
  const pairs: PairAgreement[] = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const first: number[] = [];
      const second: number[] = [];
      for (const ratings of ratingsByImage) {
        const a = ratings.find((r) => r.annotatorId === ids[i]);
        const b = ratings.find((r) => r.annotatorId === ids[j]);
        if (a && b) {
          first.push(categoryOf(a));
          second.push(categoryOf(b));
        }
      }
      pairs.push({
        annotators: [
          { id: ids[i], username: annotators.get(ids[i])! },
          { id: ids[j], username: annotators.get(ids[j])! },
        ],
        items: first.length,
        kappa: first.length > 0 && categories.length >= 2 ? definedOrNull(cohensKappa(first, second, categories.length)) : null,
      });
    }
  }

  const ratersPerItem = Math.max(2, labelsRequired);
  const counts = ratingsByImage
    .filter((ratings) => ratings.length >= ratersPerItem)
    .map((ratings) => {
      const row = new Array<number>(categories.length).fill(0);
      const earliest = [...ratings].sort((a, b) => a.createdAt - b.createdAt || a.annotatorId - b.annotatorId).slice(0, ratersPerItem);
      for (const rating of earliest) row[categoryOf(rating)]++;
      return row;
    });
  const fleiss = counts.length > 0 ? definedOrNull(fleissKappa(counts)) : null;
  return { categories: [...categories], pairs, fleiss: { kappa: fleiss, items: counts.length, ratersPerItem } };
}
