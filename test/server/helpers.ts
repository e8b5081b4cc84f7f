import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createServer, type Predictor, type ServerOptions } from '../../src/server/index.ts';
import { SQLITE, type TestBackend } from '../store/backends.ts';
import { tempDir } from '../store/fixtures.ts';

export { describeBackends, type TestBackend } from '../store/backends.ts';

export const ADMIN_PASSWORD = 'admin-password-1';
export const USER_PASSWORD = 'user-password-1';

export interface TestServer {
  app: FastifyInstance;
  dataDir: string;
  /** Session cookie headers of logged-in users, by name: admin, clinician, clinician2, annotator, annotator2. */
  cookie: Record<TestUser, string>;
  ids: Record<TestUser, number>;
  /** app.inject as a user (or anonymously with null). */
  as(user: TestUser | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export type TestUser = 'admin' | 'clinician' | 'clinician2' | 'annotator' | 'annotator2';

const ROLE_OF: Record<Exclude<TestUser, 'admin'>, string> = {
  clinician: 'clinician',
  clinician2: 'clinician',
  annotator: 'annotator',
  annotator2: 'annotator',
};

export function sessionCookieOf(response: LightMyRequestResponse): string {
  const header = [response.headers['set-cookie'] ?? []].flat()[0];
  if (!header) throw new Error(`no session cookie (status ${response.statusCode}: ${response.body})`);
  return header.split(';')[0];
}

export async function login(app: FastifyInstance, username: string, password: string): Promise<string> {
  return sessionCookieOf(await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } }));
}

export interface TestServerOptions extends Partial<ServerOptions> {
  /** The database behind the server (default SQLite in the data folder); a fresh one either way. */
  backend?: TestBackend;
}

/** A server on a fresh data folder and database with an admin, two clinicians and two annotators logged in. */
export async function startTestServer(options: TestServerOptions = {}, beforeReady?: (app: FastifyInstance) => void): Promise<TestServer> {
  const dir = tempDir();
  const { backend = SQLITE, ...serverOptions } = options;
  const database = await backend.freshDatabase();
  const app = createServer({ dataDir: dir.path, database, initialAdmin: { username: 'admin', password: ADMIN_PASSWORD }, ...serverOptions });
  beforeReady?.(app);
  await app.ready();
  const cookie = { admin: await login(app, 'admin', ADMIN_PASSWORD) } as Record<TestUser, string>;
  const ids = { admin: 1 } as Record<TestUser, number>;
  for (const [name, role] of Object.entries(ROLE_OF) as [TestUser, string][]) {
    const created = await app.inject({ method: 'POST', url: '/api/users', headers: { cookie: cookie.admin }, payload: { username: name, password: USER_PASSWORD, role } });
    ids[name] = created.json().id;
    cookie[name] = await login(app, name, USER_PASSWORD);
  }
  return {
    app,
    dataDir: dir.path,
    cookie,
    ids,
    as: (user, request) => app.inject({ ...request, headers: { ...request.headers, ...(user ? { cookie: cookie[user] } : {}) } }),
    close: async () => {
      await app.close();
      dir.remove();
    },
  };
}

export type FormPart = { name: string; value: string } | { name: string; filename: string; data: Buffer; contentType?: string };

/** A multipart/form-data body for app.inject. */
export function multipart(parts: FormPart[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----gramlens-test-boundary-7d3f9a`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('data' in part) {
      chunks.push(
        Buffer.from(`Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.contentType ?? 'image/jpeg'}\r\n\r\n`),
        part.data,
        Buffer.from('\r\n'),
      );
    } else {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export interface FakePredictor extends Predictor {
  calls: Buffer[];
}

export function fakePredictor(heatmapPng: Buffer | null = null): FakePredictor {
  const calls: Buffer[] = [];
  return {
    calls,
    async predict(image) {
      calls.push(image);
      return {
        classes: [
          { label: 'Gram-positive cocci', probability: 0.7 },
          { label: 'Gram-negative rods', probability: 0.3 },
        ],
        top: { label: 'Gram-positive cocci', probability: 0.7 },
        uncertain: false,
        heatmapPng,
        modelVersion: 'fake-1.0',
        tree: [{ name: 'Gram-positive', children: [{ name: 'Gram-positive cocci' }] }],
      };
    },
  };
}
