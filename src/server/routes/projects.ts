import type { FastifyInstance } from 'fastify';
import { MAX_LABELS_REQUIRED, type Project, type Store } from '../../store/index.ts';
import { ADMIN, ANNOTATION, currentUser } from '../access.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { idParams, iso, timeSchema, type ById } from '../schemas.ts';

export interface ProjectRoutesOptions {
  store: Store;
}

const classNodeSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, displayName: { type: 'string' }, children: { type: 'array', items: {} } },
} as const;

const projectSchema = {
  type: 'object',
  required: ['id', 'name', 'classTree', 'classes', 'choices', 'labelsRequired', 'createdAt', 'imageCount'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    classTree: { type: 'array', items: classNodeSchema },
    classes: { type: 'array', items: { type: 'string' }, description: 'the leaf classes: the labels' },
    choices: { type: 'array', items: { type: 'string' }, description: "what an annotator may answer: the classes, 'unclear' and 'skip'" },
    labelsRequired: { type: 'integer' },
    createdAt: timeSchema,
    imageCount: { type: 'integer' },
  },
} as const;

function projectView(project: Project) {
  return { ...project, createdAt: iso(project.createdAt) };
}

/** Annotation projects and their class trees. */
export async function projectRoutes(app: FastifyInstance, { store }: ProjectRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('annotation');

  app.get(
    '/projects',
    route(ANNOTATION, { summary: 'List annotation projects', response: { 200: { type: 'array', items: projectSchema } } }),
    async () => (await store.projects.list()).map(projectView),
  );

  app.post<{ Body: { name: string; classTree: unknown; labelsRequired: number } }>(
    '/projects',
    route(ADMIN, {
      summary: 'Create an annotation project from a class tree',
      description: "classTree: [{name, children?}]; the leaves are the labels. Annotators can also answer 'unclear' or 'skip'.",
      body: {
        type: 'object',
        required: ['name', 'classTree', 'labelsRequired'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 200 },
          classTree: { type: 'array', minItems: 1, items: classNodeSchema },
          labelsRequired: { type: 'integer', minimum: 1, maximum: MAX_LABELS_REQUIRED, description: 'annotators needed per image' },
        },
      },
      response: { 201: projectSchema },
    }),
    async (request, reply) => {
      const project = await store.projects.create({ ...request.body, createdBy: currentUser(request).id });
      return reply.code(201).send(projectView(project));
    },
  );

  app.get<ById>(
    '/projects/:id',
    route(ANNOTATION, { summary: 'One project with its class tree and choices', params: idParams, response: { 200: projectSchema } }),
    async (request) => projectView(await store.projects.require(request.params.id)),
  );
}
