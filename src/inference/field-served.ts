import type { FieldPredictorResult } from '../contract/index.ts';
import type { FieldPrediction } from './field-predictor.ts';

/** A whole-field prediction as the HTTP API records and returns it: PNGs as bytes, the tiles summed up; or its refusal. */
export function toServedField(field: FieldPrediction): FieldPredictorResult {
  const { quality, decision, top, warnings, refusal } = field;
  const served = { quality: { ok: quality.ok, reasons: quality.reasons, measures: quality.measures }, warnings };
  if (refusal) return { ...served, prediction: { refusal, modelVersion: field.modelVersion, tree: field.labelTree } };
  if (!decision || !top) return { ...served, prediction: null };
  return {
    ...served,
    prediction: {
      classes: field.classes,
      top,
      uncertain: field.uncertain,
      heatmapPng: field.heatmap?.png ?? null,
      tileMapPng: field.tileMap?.png ?? null,
      modelVersion: field.modelVersion,
      tree: field.labelTree,
      field: {
        forced: field.forced,
        quality: { ok: quality.ok, reasons: quality.reasons },
        label: decision.label,
        morphotypes: decision.morphotypes,
        multiple: decision.multiple,
        tiles: { total: field.tiles.length, inferred: field.tiles.filter((tile) => !tile.background).length },
        legend: field.legend,
        photoPxPerUm: field.scale.photoPxPerUm,
        warnings,
      },
    },
  };
}
