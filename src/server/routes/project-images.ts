import type { FastifyInstance } from 'fastify';
import type { ImageLimits, Store } from '../../store/index.ts';
import { ADMIN } from '../access.ts';
import type { DecodeBudget } from '../decode-budget.ts';
import { readForm, type FormDataSchema } from '../multipart.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { decisionSchema, decisionView, idParams, imageRef, storedImageSchema, type ById } from '../schemas.ts';

export interface ProjectImageRoutesOptions {
  store: Store;
  imageLimits: ImageLimits;
  decodeBudget: DecodeBudget;
}

const imageUploadForm: FormDataSchema = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string', format: 'binary', description: 'JPEG, PNG, TIFF or WebP' },
    patientId: { type: 'string', maxLength: 500, description: "groups images of one patient in training splits; default: the image's own id" },
    specimen: { type: 'string', maxLength: 500 },
  },
};

/** A project's images: uploading them, and their labels and decisions as JSON and as the training manifest. */
export async function projectImageRoutes(app: FastifyInstance, { store, imageLimits, decodeBudget }: ProjectImageRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('annotation');

  app.post<ById>(
    '/projects/:id/images',
    route(ADMIN, {
      summary: 'Upload an image into a project',
      description: 'Answers 201 when added, 200 when the same image was already in the project. The file name is kept as text only.',
      params: idParams,
      formData: imageUploadForm,
      response: {
        '2xx': {
          type: 'object',
          required: ['image', 'patientId', 'specimen', 'originalName', 'added'],
          properties: {
            image: storedImageSchema,
            patientId: { type: 'string' },
            specimen: { type: ['string', 'null'] },
            originalName: { type: ['string', 'null'] },
            added: { type: 'boolean' },
          },
        },
      },
    }),
    async (request, reply) => {
      const projectId = request.params.id;
      await store.projects.require(projectId);
      const form = await readForm(request, imageUploadForm);
      const { width, height } = await store.images.inspect(form.file.data, imageLimits);
      const image = await decodeBudget.run(width * height, () => store.images.ingest(form.file.data, imageLimits));
      const { image: projectImage, added } = await store.projects.addImage(projectId, {
        sha256: image.sha256,
        patientId: form.fields.patientId,
        specimen: form.fields.specimen,
        originalName: form.file.filename,
      });
      const { patientId, specimen, originalName } = projectImage;
      return reply.code(added ? 201 : 200).send({ image: { ...image, ...imageRef(image.sha256) }, patientId, specimen, originalName, added });
    },
  );

  app.get<ById>(
    '/projects/:id/images',
    route(ADMIN, { summary: "The project's images with every label and the decision", params: idParams, response: { 200: { type: 'array', items: decisionSchema } } }),
    async (request) => (await store.decisions.forProject(request.params.id)).map(decisionView),
  );

  app.get<ById>(
    '/projects/:id/manifest.csv',
    route(ADMIN, {
      summary: 'The training manifest: path,label,patient_id,specimen,annotators,agreement',
      description:
        'Paths are relative to the server data folder. Images without a decision are left out; their count is in X-Images-Left-Out, by reason in X-Images-Left-Out-Detail. ' +
        'Text a spreadsheet could run as a formula (starting with =, +, - or @) gets a leading apostrophe.',
      params: idParams,
      produces: ['text/csv'],
    }),
    async (request, reply) => {
      const manifest = await store.decisions.manifest(request.params.id, { guardFormulas: true });
      const leftOut = Object.values(manifest.leftOut).reduce((sum, n) => sum + n, 0);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="project-${request.params.id}-manifest.csv"`)
        .header('x-images-included', String(manifest.included))
        .header('x-images-left-out', String(leftOut))
        .header(
          'x-images-left-out-detail',
          Object.entries(manifest.leftOut)
            .map(([reason, n]) => `${reason}=${n}`)
            .join(', '),
        )
        .send(manifest.csv);
    },
  );
}
