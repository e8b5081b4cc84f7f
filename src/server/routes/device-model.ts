import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceModel } from '../../contract/index.ts';
import { CLINICAL } from '../access.ts';
import { HttpError } from '../errors.ts';
import type { DeviceModelFiles, Predictor } from '../options.ts';
import { routeOptionsTagged } from '../route-options.ts';
import type { ServedModel } from '../served-model.ts';

export interface DeviceModelRoutesOptions {
  predictor: Predictor | undefined;
  /** The files handed out are those of the model this server serves (503 when it could not load the active one). */
  servedModel: ServedModel;
}

const FILES = {
  model: 'model.onnx',
  metadata: 'metadata.json',
  denseKernel: 'dense-kernel.bin',
} as const;

const deviceModelSchema = {
  type: 'object',
  required: ['modelVersion', 'onnxBytes', 'files'],
  properties: {
    modelVersion: { type: 'string' },
    onnxBytes: { type: 'integer' },
    files: {
      type: 'object',
      required: ['model', 'metadata', 'denseKernel'],
      properties: { model: { type: 'string' }, metadata: { type: 'string' }, denseKernel: { type: ['string', 'null'] } },
    },
  },
} as const;

/**
 * The running model's files for the web app's on-device mode. The files may be kept by the browser
 * (private cache) but are revalidated on every use against an ETag of the model's version, so a
 * newly activated model replaces them at once.
 */
export async function deviceModelRoutes(app: FastifyInstance, { predictor, servedModel }: DeviceModelRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('models');
  const running = async (): Promise<DeviceModelFiles> => {
    const files = await servedModel.use(async () => (await predictor?.deviceFiles?.()) ?? null);
    if (!files) throw new HttpError(404, 'the server has no model that can run on the device (no active model, or it has no ONNX export)');
    return files;
  };

  app.get(
    '/models/active/device',
    route(CLINICAL, {
      summary: "The running model's version and the URLs of its files, to run it on the device",
      response: { 200: deviceModelSchema },
    }),
    async (): Promise<DeviceModel> => {
      const files = await running();
      const base = '/api/models/active/files/';
      return {
        modelVersion: files.modelVersion,
        onnxBytes: (await stat(files.onnxPath)).size,
        files: { model: base + FILES.model, metadata: base + FILES.metadata, denseKernel: files.denseKernel ? base + FILES.denseKernel : null },
      };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/models/active/files/:name',
    route(CLINICAL, {
      summary: `The running model's ${Object.values(FILES).join(', ')} (revalidated against the model's version)`,
      params: { type: 'object', required: ['name'], properties: { name: { type: 'string', enum: Object.values(FILES) } } },
      produces: ['application/octet-stream', 'application/json'],
    }),
    async (request, reply) => {
      const files = await running();
      const etag = `"${createHash('sha256').update(files.modelVersion).digest('hex').slice(0, 32)}"`;
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return sendFile(request, reply, files);
    },
  );
}

async function sendFile(request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply, files: DeviceModelFiles): Promise<FastifyReply> {
  switch (request.params.name) {
    case FILES.model:
      return reply.type('application/octet-stream').send(await readFile(files.onnxPath));
    case FILES.metadata:
      return reply.type('application/json').send(JSON.stringify(files.metadata));
    default: {
      if (!files.denseKernel) throw new HttpError(404, 'this model has no dense kernel (its heatmaps need the server)');
      const kernel = files.denseKernel;
      return reply.type('application/octet-stream').send(Buffer.from(kernel.buffer, kernel.byteOffset, kernel.byteLength));
    }
  }
}
