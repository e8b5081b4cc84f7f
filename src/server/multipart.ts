import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

export interface FormTextField {
  type: 'string';
  description?: string;
  maxLength?: number;
  enum?: string[];
}

export interface FormFileField {
  type: 'string';
  format: 'binary';
  description?: string;
}

/** A multipart form described like a JSON schema: exactly one file field, the rest text. Shown in OpenAPI. */
export interface FormDataSchema {
  type: 'object';
  required: string[];
  properties: Record<string, FormTextField | FormFileField>;
}

export interface UploadedForm {
  file: { data: Buffer; filename: string };
  fields: Record<string, string>;
}

function isFileField(field: FormTextField | FormFileField): field is FormFileField {
  return 'format' in field && field.format === 'binary';
}

/**
 * Reads a multipart upload and checks it against its form schema. The file is buffered (the
 * multipart plugin's size limit applies: too large → 413); its name is returned only as text.
 */
export async function readForm(request: FastifyRequest, schema: FormDataSchema): Promise<UploadedForm> {
  if (!request.isMultipart()) throw new HttpError(415, 'Send this form as multipart/form-data');
  const fileField = Object.keys(schema.properties).find((name) => isFileField(schema.properties[name]));
  if (!fileField) throw new Error('a form schema needs one file field');
  const { file, fields, problem } = await readParts(request, schema, fileField).catch((error: unknown) => {
    throw malformed(error);
  });
  if (problem) throw new HttpError(400, problem);
  if (!file) throw new HttpError(400, `the form has no file in the field "${fileField}"`);
  checkFields(schema, fields);
  return { file, fields };
}

/**
 * The parser's own refusals (size and count limits: 413) keep their status; anything else it
 * throws means the body is not multipart/form-data as declared: no or a wrong boundary, a
 * truncated or garbled body (400).
 */
function malformed(error: unknown): Error {
  const status = (error as { statusCode?: number })?.statusCode;
  if (error instanceof HttpError || (status !== undefined && status >= 400 && status < 500 && status !== 406)) return error as Error;
  const reason = error instanceof Error ? error.message.replace(/^Multipart: /, '').slice(0, 200) : 'unreadable';
  return new HttpError(400, `the upload is not a well-formed multipart/form-data body (${reason})`);
}

async function readParts(
  request: FastifyRequest,
  schema: FormDataSchema,
  fileField: string,
): Promise<{ file: UploadedForm['file'] | null; fields: Record<string, string>; problem: string | null }> {
  let file: UploadedForm['file'] | null = null;
  const fields: Record<string, string> = {};
  let problem: string | null = null;
  for await (const part of request.parts()) {
    const spec = schema.properties[part.fieldname];
    if (part.type === 'file') {
      // Drained even when unwanted, so the request is read to its end before we answer.
      const data = await part.toBuffer();
      if (part.fieldname !== fileField) problem ??= `unexpected file in the field "${part.fieldname}"; send the file as "${fileField}"`;
      else if (file) problem ??= `send a single file in "${fileField}"`;
      else file = { data, filename: part.filename };
    } else if (!spec || isFileField(spec)) {
      problem ??= `unknown form field "${part.fieldname}"`;
    } else if (part.valueTruncated) {
      problem ??= `the form field "${part.fieldname}" is too long`;
    } else {
      fields[part.fieldname] = String(part.value);
    }
  }
  return { file, fields, problem };
}

function checkFields(schema: FormDataSchema, fields: Record<string, string>): void {
  for (const [name, spec] of Object.entries(schema.properties)) {
    if (isFileField(spec)) continue;
    const value = fields[name];
    if (value === undefined || value === '') {
      if (schema.required.includes(name)) throw new HttpError(400, `the form field "${name}" is required`);
      continue;
    }
    if (spec.maxLength !== undefined && value.length > spec.maxLength) throw new HttpError(400, `the form field "${name}" is longer than ${spec.maxLength} characters`);
    if (spec.enum && !spec.enum.includes(value)) throw new HttpError(400, `the form field "${name}" must be one of ${spec.enum.join(', ')}`);
  }
}
