// Hostile requests for the fuzz benchmark: broken images, polyglots, malformed multipart bodies and
// JSON with wrong types in every field, over every upload and JSON route of the API. Seeded.
import { deflateSync, crc32 } from 'node:zlib';
import type { Rng } from '../../src/util/index.ts';

export type FuzzUser = 'admin' | 'clinician' | 'annotator' | null;

export interface HostileRequest {
  /** What kind of hostility, for the report: "upload/truncated", "json/users/wrong-type", ... */
  kind: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  user: FuzzUser;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** Ids and samples on the server under test, and images to break. */
export interface FuzzTargets {
  projectId: number;
  imageSha: string;
  predictionId: string;
  modelId: number;
  /** A user the fuzz may change (never the admin it logs in as). */
  victimUserId: number;
  runId: number;
  jpeg: Buffer;
  png: Buffer;
  /** A valid JPEG at the pixel limit (decoding it is the most expensive thing an upload can ask). */
  largeJpeg: Buffer;
}

const BOUNDARY = 'gl-fuzz-7f3a';
const UPLOAD_ROUTES = [
  { path: '/api/predict', user: 'clinician', fields: ['specimenType', 'caseId'] },
  { path: '/api/predict/field', user: 'clinician', fields: ['specimenType', 'caseId', 'pxPerUm', 'force'] },
  { path: '/api/projects/:project/images', user: 'admin', fields: ['patientId', 'specimen'] },
] as const;

/** Values of the wrong type, size or form for any JSON field. */
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_VALUE,
  '',
  ' ',
  'x'.repeat(5000),
  '\u202eevil\u200b',
  '\u0000nul',
  '=1+1',
  '../../etc/passwd',
  "'; DROP TABLE users;--",
  '<script>alert(1)</script>',
  [],
  [1, 'two', null],
  {},
  { $gt: '' },
  { __proto__: { admin: true } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: { prototype: { polluted: true } } },
];

/** Raw JSON texts no serializer would write: overflowing numbers, deep nesting, broken syntax. */
const HOSTILE_JSON_TEXTS = ['1e400', '-1e400', '99999999999999999999999', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '"\\ud800"', '0x10', 'NaN', 'Infinity'];

interface JsonRoute {
  method: 'POST' | 'PATCH';
  path: string;
  user: FuzzUser;
  /** A well-formed body, whose fields the fuzz replaces one at a time. */
  valid: Record<string, unknown>;
}

function jsonRoutes(t: FuzzTargets): JsonRoute[] {
  return [
    { method: 'POST', path: '/api/auth/login', user: null, valid: { username: 'nobody-at-all', password: 'not the password at all' } },
    { method: 'POST', path: '/api/users', user: 'admin', valid: { username: 'fuzzed-user', password: 'a long fuzz password', role: 'annotator' } },
    { method: 'PATCH', path: `/api/users/${t.victimUserId}`, user: 'admin', valid: { role: 'annotator', disabled: false } },
    { method: 'POST', path: '/api/projects', user: 'admin', valid: { name: 'fuzz', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 2 } },
    { method: 'POST', path: `/api/projects/${t.projectId}/annotations`, user: 'annotator', valid: { image: t.imageSha, label: 'unclear' } },
    { method: 'POST', path: `/api/projects/${t.projectId}/annotations/undo`, user: 'annotator', valid: {} },
    { method: 'POST', path: `/api/projects/${t.projectId}/adjudications`, user: 'admin', valid: { image: t.imageSha, label: 'unclear' } },
    { method: 'POST', path: '/api/models', user: 'admin', valid: { path: '/nonexistent/bundle', name: 'fuzz', version: '1' } },
    { method: 'POST', path: `/api/models/${t.modelId}/activate`, user: 'admin', valid: {} },
    { method: 'POST', path: '/api/runs', user: 'admin', valid: { projectId: t.projectId } },
    { method: 'POST', path: `/api/runs/${t.runId}/cancel`, user: 'admin', valid: {} },
    { method: 'POST', path: `/api/predictions/${t.predictionId}/feedback`, user: 'clinician', valid: { verdict: 'correct', label: 'fuzz' } },
    { method: 'POST', path: '/api/predictions/sync', user: 'clinician', valid: devicePrediction(t) },
    {
      method: 'POST',
      path: '/api/predictions/feedback/sync',
      user: 'clinician',
      valid: { idempotencyKey: '0b6f4d1e-8a3c-4f7e-9d2a-5c1b3e7f9a10', madeAt: '2026-01-01T00:00:00.000Z', prediction: { id: t.predictionId }, verdict: 'correct', label: 'fuzz' },
    },
  ];
}

/** A 1 × 1 PNG, base64. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

/** A prediction made on a device, as the page syncs it. */
function devicePrediction(t: FuzzTargets): Record<string, unknown> {
  const classes = [
    { label: 'a', probability: 0.6 },
    { label: 'b', probability: 0.4 },
  ];
  return {
    idempotencyKey: '5d0c7a2e-1f3b-4c6d-8e9f-0a1b2c3d4e5f',
    madeAt: '2026-01-01T00:00:00.000Z',
    device: 'device-fuzz',
    modelId: t.modelId,
    specimenType: 'fuzz',
    image: TINY_PNG,
    result: { modelVersion: 'fuzz@1', classes, top: classes[0], uncertain: false },
  };
}

const HOSTILE_IDS = ['0', '-1', '1e400', '99999999999999999999', 'abc', '%00', '1;DROP', '1.5', '%2e%2e%2f', ' 1'];

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/** A valid PNG header declaring width × height 1-bit pixels, with a tiny compressed body: a decompression bomb. */
export function bombPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1;
  // A few rows of data are enough: the header alone makes it a bomb.
  const rows = deflateSync(Buffer.alloc((1 + Math.ceil(width / 8)) * Math.min(height, 16)), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), pngChunk('IDAT', rows), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Image bytes that are broken, dangerous or lying about what they are. */
function hostileImage(rng: Rng, t: FuzzTargets): { kind: string; data: Buffer; filename: string } {
  const valid = rng.chance(0.5) ? t.jpeg : t.png;
  const choice = rng.int(14);
  switch (choice) {
    case 0:
      return { kind: 'valid', data: valid, filename: 'photo.jpg' };
    case 1:
      return { kind: 'truncated', data: valid.subarray(0, 1 + rng.int(valid.length - 1)), filename: 'cut.jpg' };
    case 2: {
      const data = Buffer.from(valid);
      for (let i = 0; i < 1 + rng.int(20); i++) data[20 + rng.int(data.length - 20)] = rng.int(256);
      return { kind: 'corrupted', data, filename: 'flipped.png' };
    }
    case 3:
      return { kind: 'bomb', data: bombPng(20_000 + rng.int(30_000), 20_000 + rng.int(30_000)), filename: 'bomb.png' };
    case 4:
      return { kind: 'polyglot-jpeg-html', data: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('<html><script>alert(1)</script></html>')]), filename: 'x.jpg' };
    case 5:
      return { kind: 'polyglot-png-zip', data: Buffer.concat([valid === t.png ? t.png : t.jpeg, Buffer.from('PK\u0003\u0004'), Buffer.alloc(64, 7)]), filename: 'x.png' };
    case 6:
      return { kind: 'gif-script', data: Buffer.from('GIF89a/*<svg onload=alert(1)>*/=1;'), filename: 'x.gif' };
    case 7:
      return { kind: 'svg-as-jpeg', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), filename: 'x.jpg' };
    case 8:
      return { kind: 'empty', data: Buffer.alloc(0), filename: 'empty.jpg' };
    case 9:
      return { kind: 'random-bytes', data: Buffer.from(Array.from({ length: 16 + rng.int(4000) }, () => rng.int(256))), filename: 'noise.jpg' };
    case 10:
      return { kind: 'tiff-header-only', data: Buffer.from([0x49, 0x49, 0x2a, 0x00, 0xff, 0xff, 0xff, 0x7f]), filename: 'x.tif' };
    case 11:
      return { kind: 'webp-header-only', data: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0xff, 0xff, 0xff, 0x7f]), Buffer.from('WEBPVP8 ')]), filename: 'x.webp' };
    case 12:
      // The most expensive valid upload; rarer than the others.
      return rng.chance(0.15) ? { kind: 'large-valid', data: t.largeJpeg, filename: 'large.jpg' } : { kind: 'valid', data: valid, filename: 'photo.jpg' };
    default:
      return rng.chance(0.05) ? { kind: 'over-size-limit', data: Buffer.alloc(21 * 1024 * 1024, 0xff), filename: 'huge.jpg' } : { kind: 'valid', data: valid, filename: 'p.png' };
  }
}

function part(name: string, value: string | Buffer, filename?: string, contentType = 'image/jpeg'): Buffer {
  const disposition = filename === undefined ? `form-data; name="${name}"` : `form-data; name="${name}"; filename="${filename}"`;
  const head = `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${filename === undefined ? '' : `Content-Type: ${contentType}\r\n`}\r\n`;
  return Buffer.concat([Buffer.from(head), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\r\n')]);
}

function uploadRequest(rng: Rng, t: FuzzTargets): HostileRequest {
  const route = rng.pick(UPLOAD_ROUTES);
  const path = route.path.replace(':project', String(t.projectId));
  const image = hostileImage(rng, t);
  const fields = route.fields.map((name) => part(name, rng.chance(0.8) ? fieldValue(rng, name) : String(rng.pick(HOSTILE_VALUES) ?? '')));
  const form = (parts: Buffer[]) => Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]);
  const multipart = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
  const base = { method: 'POST' as const, path, user: route.user };
  const shape = rng.int(12);
  if (shape < 6) return { ...base, kind: `upload/${image.kind}`, headers: multipart, body: form([part('image', image.data, image.filename), ...fields]) };
  switch (shape) {
    case 6:
      return { ...base, kind: 'multipart/no-boundary', headers: { 'content-type': 'multipart/form-data' }, body: form([part('image', t.png, 'a.png')]) };
    case 7:
      return { ...base, kind: 'multipart/wrong-boundary', headers: { 'content-type': 'multipart/form-data; boundary=other' }, body: form([part('image', t.png, 'a.png'), ...fields]) };
    case 8: {
      const body = form([part('image', t.jpeg, 'a.jpg'), ...fields]);
      return { ...base, kind: 'multipart/truncated', headers: multipart, body: body.subarray(0, rng.int(body.length)) };
    }
    case 9:
      return { ...base, kind: 'multipart/two-files', headers: multipart, body: form([part('image', t.png, 'a.png'), part('image', t.jpeg, 'b.jpg'), part('other', t.png, '../../x.png'), ...fields]) };
    case 10:
      return { ...base, kind: 'multipart/many-fields', headers: multipart, body: form([part('image', t.png, 'a"\r\nX-Injected: 1.png'), ...Array.from({ length: 40 }, (_, i) => part(`f${i}`, 'x'.repeat(rng.int(70_000))))]) };
    default:
      return { ...base, kind: 'upload/not-multipart', headers: { 'content-type': rng.pick(['text/plain', 'application/json', 'application/x-www-form-urlencoded', 'image/jpeg']) }, body: t.jpeg };
  }
}

function fieldValue(rng: Rng, name: string): string {
  if (name === 'pxPerUm') return rng.pick(['4', '0', '-3', '1e400', 'NaN', 'abc', '1000000', '']);
  if (name === 'force') return rng.pick(['true', 'false', 'maybe', '1', '']);
  return rng.pick(['blood culture', 'sputum', '=HYPERLINK("x")', ' =1+1', '＝1+1', 'x'.repeat(300), '\u202e', '']);
}

function jsonRequest(rng: Rng, t: FuzzTargets): HostileRequest {
  const route = rng.pick(jsonRoutes(t));
  const base = { method: route.method, path: route.path, user: route.user };
  const json = { 'content-type': 'application/json' };
  const shape = rng.int(10);
  if (shape < 5) {
    const body: Record<string, unknown> = { ...route.valid };
    const keys = Object.keys(body);
    const key = keys.length > 0 && rng.chance(0.85) ? rng.pick(keys) : rng.pick(['extra', '__proto__', 'constructor', 'role']);
    // A raw text spliced in where JSON.stringify cannot write it (1e400, deep nesting, ...).
    if (rng.chance(0.3)) {
      const raw = rng.pick(HOSTILE_JSON_TEXTS);
      const text = JSON.stringify({ ...body, [key]: '__RAW__' }).replace('"__RAW__"', raw);
      return { ...base, kind: `json${route.path.replace(/\/\d+|[0-9a-f-]{36}/g, '/:id')}/raw-value`, headers: json, body: text };
    }
    body[key] = rng.pick(HOSTILE_VALUES);
    return { ...base, kind: `json${route.path.replace(/\/\d+|[0-9a-f-]{36}/g, '/:id')}/wrong-type`, headers: json, body: JSON.stringify(body) };
  }
  switch (shape) {
    case 5:
      return { ...base, kind: 'json/missing-fields', headers: json, body: '{}' };
    case 6:
      return { ...base, kind: 'json/broken-syntax', headers: json, body: rng.pick(['{', '{"a":', '{"a": 1,}', "{'a': 1}", '[1, 2', '\u0000', 'null', '"text"', '12']) };
    case 7:
      return { ...base, kind: 'json/wrong-content-type', headers: { 'content-type': rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) }, body: JSON.stringify(route.valid) };
    case 8:
      return { ...base, kind: 'json/too-large', headers: json, body: JSON.stringify({ ...route.valid, pad: 'x'.repeat(1024 * 1024 + rng.int(1000)) }) };
    default:
      return { ...base, kind: 'json/deep-nesting', headers: json, body: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}` };
  }
}

function readRequest(rng: Rng, t: FuzzTargets): HostileRequest {
  const id = rng.pick(HOSTILE_IDS);
  const paths = [
    `/api/predictions?limit=${rng.pick(['1', '0', '-5', '1e400', 'abc', '500', '501'])}&offset=${rng.pick(['0', '-1', '99999999999999999999', '1e400', 'x'])}`,
    `/api/predictions/${rng.pick([t.predictionId, id, '00000000-0000-0000-0000-000000000000'])}`,
    `/api/predictions/${rng.pick([t.predictionId, id])}/heatmap.png`,
    `/api/runs/${id}`,
    `/api/projects/${id}`,
    `/api/projects/${rng.pick([String(t.projectId), id])}/queue/next`,
    `/api/projects/${rng.pick([String(t.projectId), id])}/manifest.csv`,
    `/api/images/${rng.pick([t.imageSha, id, t.imageSha.toUpperCase(), `${t.imageSha}/../x`])}`,
    `/api/users/${id}`,
    '/api/models',
    `/api/${'a/'.repeat(200)}`,
  ];
  return { kind: 'read/odd-path', method: 'GET', path: rng.pick(paths), user: rng.pick(['admin', 'clinician', 'annotator', null] as const), headers: {} };
}

/** The next hostile request: about half uploads, four in ten JSON bodies, the rest odd reads. */
export function hostileRequest(rng: Rng, targets: FuzzTargets): HostileRequest {
  const roll = rng.next();
  const request = roll < 0.5 ? uploadRequest(rng, targets) : roll < 0.9 ? jsonRequest(rng, targets) : readRequest(rng, targets);
  // Now and then from another site: refused before anything else (403).
  if (request.method !== 'GET' && rng.chance(0.03)) request.headers = { ...request.headers, origin: 'http://evil.example' };
  return request;
}
