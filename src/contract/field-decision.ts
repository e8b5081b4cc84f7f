/** The whole-field decision rule a model bundle stores (fitted on validation fields) and src/fields applies. */

/** Morphotypes a tile model can confuse with each other (e.g. the Gram-positive cocci, or Gram-negative rods and cocci), answered together when it cannot tell them apart. */
export interface MorphotypeGroup {
  /** The field's answer when its members are present but not told apart (e.g. 'GPC', 'Gram-negative'). */
  name: string;
  /** Class names, at least two. */
  members: string[];
}

/** What counts as enough evidence for a morphotype in a field. */
export interface FieldDecisionParams {
  /** A tile is confident for its most likely class when that class's probability reaches this. */
  presenceThreshold: number;
  /** Least number of confident tiles a morphotype needs. */
  minTiles: number;
  /** Least share of the organism (non-background) tiles whose most likely class it is (default 0). */
  minShare?: number;
  /**
   * Two morphotypes of one group both count only when each also has minTiles tiles at this
   * probability or above (default presenceThreshold: no stricter than any morphotype).
   */
  groupThreshold?: number;
  /**
   * A field without any finding but with at least this many tiles whose organism probability (1 -
   * the background's) reaches presenceThreshold is "uncertain: refer", not "no organisms"
   * (default minTiles).
   */
  referTiles?: number;
}

export interface FieldDecisionRule extends FieldDecisionParams {
  /** Groups of confusable morphotypes (default: the label tree's groups of two or more classes). */
  groups?: MorphotypeGroup[];
  /** The field's own referral levels; without them (older bundles) a field is uncertain when its label's field-level probability is below the tiles' referral level. */
  referral?: FieldReferral;
}

/**
 * When a whole field's answer is "uncertain: refer", from the field's own evidence (fitted on
 * validation fields read as a phone photo is, without their scale).
 */
export interface FieldReferral {
  /** An answer is uncertain when the weakest of its findings has fewer of its tiles confident (at presenceThreshold) than this share. */
  minEvidenceShare: number;
  /** Any answer is uncertain when more than this share of the tiles read are unlike the training images (left out of the answer). */
  maxUnfamiliarShare: number;
}
