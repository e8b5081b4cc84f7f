/** JSON schema pieces shared by the route plugins, and the conversions to API shapes they describe. */
import { ROLES, type ImageDecision, type User } from '../store/index.ts';

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' } },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

/** The route generic of idParams: the record's id, validated as a positive integer. */
export type ById = { Params: { id: number } };

export const sha256Schema = { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'sha256 of the stored image (hex)' } as const;

export const timeSchema = { type: 'string', format: 'date-time' } as const;

export const userSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'createdAt', 'disabled'],
  properties: {
    id: { type: 'integer' },
    username: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    createdAt: timeSchema,
    disabled: { type: 'boolean' },
  },
} as const;

export const imageRefSchema = {
  type: 'object',
  required: ['sha256', 'url'],
  properties: { sha256: sha256Schema, url: { type: 'string' } },
} as const;

export const storedImageSchema = {
  type: 'object',
  required: ['sha256', 'url', 'format', 'width', 'height', 'bytes'],
  properties: {
    sha256: sha256Schema,
    url: { type: 'string' },
    format: { type: 'string', enum: ['jpeg', 'png'] },
    width: { type: 'integer' },
    height: { type: 'integer' },
    bytes: { type: 'integer' },
  },
} as const;

/** An annotation project's image with every label given and the decision they lead to. */
export const decisionSchema = {
  type: 'object',
  required: ['image', 'patientId', 'specimen', 'originalName', 'votes', 'adjudicatedLabel', 'label', 'status'],
  properties: {
    image: imageRefSchema,
    patientId: { type: 'string' },
    specimen: { type: ['string', 'null'] },
    originalName: { type: ['string', 'null'] },
    votes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['annotatorId', 'username', 'label'],
        properties: { annotatorId: { type: 'integer' }, username: { type: 'string' }, label: { type: 'string' } },
      },
    },
    adjudicatedLabel: { type: ['string', 'null'] },
    label: { type: ['string', 'null'], description: 'the final label that goes into the manifest' },
    status: { type: 'string', enum: ['adjudicated', 'unanimous', 'majority', 'awaiting-labels', 'no-majority', 'unclear'] },
  },
} as const;

/** The body of a label given to a project image, by an annotator or an adjudicating admin. */
export const imageAndLabelBody = {
  type: 'object',
  required: ['image', 'label'],
  additionalProperties: false,
  properties: { image: sha256Schema, label: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export type ImageAndLabel = { Body: { image: string; label: string } };

/** Any JSON value (passed through as given). */
export const anyJson = {} as const;

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function imageUrl(sha256: string): string {
  return `/api/images/${sha256}`;
}

export function imageRef(sha256: string): { sha256: string; url: string } {
  return { sha256, url: imageUrl(sha256) };
}

export function userView(user: User) {
  return { id: user.id, username: user.username, role: user.role, createdAt: iso(user.createdAt), disabled: user.disabled };
}

export function decisionView(decision: ImageDecision) {
  const { sha256, patientId, specimen, originalName, votes, adjudicatedLabel, label, status } = decision;
  return { image: imageRef(sha256), patientId, specimen, originalName, votes, adjudicatedLabel, label, status };
}
