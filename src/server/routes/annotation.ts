import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import { ANNOTATION, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { idParams, imageAndLabelBody, imageRef, imageRefSchema, type ById, type ImageAndLabel } from '../schemas.ts';

export interface AnnotationRoutesOptions {
  store: Store;
}

/** The logged-in annotator's work in a project: their queue, their labels and taking the last one back. */
export async function annotationRoutes(app: FastifyInstance, { store }: AnnotationRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('annotation');

  app.get<ById>(
    '/projects/:id/queue/next',
    route(ANNOTATION, {
      summary: 'The next image for the logged-in annotator (never shows other annotators’ labels)',
      params: idParams,
      response: {
        200: {
          type: 'object',
          required: ['image', 'remaining', 'choices'],
          properties: {
            image: { anyOf: [imageRefSchema, { type: 'null' }], description: 'null when nothing is left' },
            remaining: { type: 'integer' },
            choices: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    }),
    async (request) => {
      const project = await store.projects.require(request.params.id);
      const next = await store.annotations.next(project.id, currentUser(request).id);
      return { image: next.sha256 === null ? null : imageRef(next.sha256), remaining: next.remaining, choices: project.choices };
    },
  );

  app.post<ById & ImageAndLabel>(
    '/projects/:id/annotations',
    route(ANNOTATION, {
      summary: "Label an image (replaces the annotator's earlier label for it; history is kept)",
      params: idParams,
      body: imageAndLabelBody,
      response: {
        200: {
          type: 'object',
          required: ['image', 'label', 'previousLabel'],
          properties: { image: imageRefSchema, label: { type: 'string' }, previousLabel: { type: ['string', 'null'] } },
        },
      },
    }),
    async (request) => {
      const result = await store.annotations.label(request.params.id, request.body.image, currentUser(request).id, request.body.label);
      return { image: imageRef(result.sha256), label: result.label, previousLabel: result.previousLabel };
    },
  );

  app.post<ById>(
    '/projects/:id/annotations/undo',
    route(ANNOTATION, {
      summary: "Take back the annotator's most recent label in this project",
      description: 'Restores their earlier label for that image if there was one, otherwise puts the image back in their queue. 409 when there is nothing to undo.',
      params: idParams,
      response: {
        200: {
          type: 'object',
          required: ['image', 'undoneLabel', 'restoredLabel'],
          properties: { image: imageRefSchema, undoneLabel: { type: 'string' }, restoredLabel: { type: ['string', 'null'] } },
        },
      },
    }),
    async (request) => {
      const undone = await store.annotations.undoLast(request.params.id, currentUser(request).id);
      if (!undone) throw new HttpError(409, 'nothing to undo');
      return { image: imageRef(undone.sha256), undoneLabel: undone.undoneLabel, restoredLabel: undone.restoredLabel };
    },
  );
}
