import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import { ADMIN, currentUser } from '../access.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { decisionSchema, decisionView, idParams, imageAndLabelBody, type ById, type ImageAndLabel } from '../schemas.ts';

export interface AgreementRoutesOptions {
  store: Store;
}

const agreementSchema = {
  type: 'object',
  required: ['categories', 'pairs', 'fleiss'],
  properties: {
    categories: { type: 'array', items: { type: 'string' } },
    pairs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['annotators', 'items', 'kappa'],
        properties: {
          annotators: {
            type: 'array',
            items: { type: 'object', required: ['id', 'username'], properties: { id: { type: 'integer' }, username: { type: 'string' } } },
          },
          items: { type: 'integer' },
          kappa: { type: ['number', 'null'] },
        },
      },
    },
    fleiss: {
      type: 'object',
      required: ['kappa', 'items', 'ratersPerItem'],
      properties: { kappa: { type: ['number', 'null'] }, items: { type: 'integer' }, ratersPerItem: { type: 'integer' } },
    },
  },
} as const;

/** How far a project's annotators agree, where they do not, and the admin's final word on those images. */
export async function agreementRoutes(app: FastifyInstance, { store }: AgreementRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('annotation');

  app.get<ById>(
    '/projects/:id/agreement',
    route(ADMIN, {
      summary: "Inter-annotator agreement: Cohen's kappa per annotator pair, Fleiss' kappa for the project",
      params: idParams,
      response: { 200: agreementSchema },
    }),
    async (request) => store.decisions.agreement(request.params.id),
  );

  app.get<ById>(
    '/projects/:id/disagreements',
    route(ADMIN, { summary: 'Images whose annotators gave different labels', params: idParams, response: { 200: { type: 'array', items: decisionSchema } } }),
    async (request) => (await store.decisions.disagreements(request.params.id)).map(decisionView),
  );

  app.post<ById & ImageAndLabel>(
    '/projects/:id/adjudications',
    route(ADMIN, {
      summary: "Set an image's final label (a class, or 'unclear' to keep it out of training)",
      params: idParams,
      body: imageAndLabelBody,
      response: { 200: decisionSchema },
    }),
    async (request) => decisionView(await store.decisions.adjudicate(request.params.id, request.body.image, request.body.label, currentUser(request).id)),
  );
}
