import type { FieldPredictorResult, FieldSummary } from '../contract/index.ts';
import type { FieldPrediction } from './field-predictor.ts';
import type { FieldResult } from './field-reading.ts';

/** What the audit trail and the result screen show of an answered field (the server's and the page's alike). */
export function fieldSummaryOf(field: FieldResult<unknown>): FieldSummary | null {
  const { quality, decision, warnings } = field;
  if (!decision || field.refusal) return null;
  return {
    forced: field.forced,
    quality: { ok: quality.ok, reasons: quality.reasons },
    label: decision.label,
    morphotypes: decision.morphotypes,
    multiple: decision.multiple,
    tiles: { total: field.tiles.length, inferred: field.tiles.filter((tile) => !tile.background).length },
    legend: field.legend,
    photoPxPerUm: field.scale.photoPxPerUm,
    warnings,
  };
}

/** A whole-field prediction as the HTTP API records and returns it: PNGs as bytes, the tiles summed up; or its refusal. */
export function toServedField(field: FieldPrediction): FieldPredictorResult {
  const { quality, top, warnings, refusal } = field;
  const served = { quality: { ok: quality.ok, reasons: quality.reasons, measures: quality.measures }, warnings };
  if (refusal) return { ...served, prediction: { refusal, modelVersion: field.modelVersion, tree: field.labelTree } };
  const summary = fieldSummaryOf(field);
  if (!summary || !top) return { ...served, prediction: null };
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
      field: summary,
    },
  };
}
