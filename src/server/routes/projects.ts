import type { FastifyInstance } from 'fastify';
import { MAX_LABELS_REQUIRED, type ImageDecision, type ImageLimits, type Project, type Store } from '../../store/index.ts';
import { ADMIN, ANNOTATION, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import { readForm, type FormDataSchema } from '../multipart.ts';
import { idParams, imageRef, imageRefSchema, iso, sha256Schema, storedImageSchema, timeSchema } from '../schemas.ts';

export interface ProjectRoutesOptions {
  store: Store;
  imageLimits: ImageLimits;
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

const decisionSchema = {
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

const imageAndLabelBody = {
  type: 'object',
  required: ['image', 'label'],
  additionalProperties: false,
  properties: { image: sha256Schema, label: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const imageUploadForm: FormDataSchema = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string', format: 'binary', description: 'JPEG, PNG, TIFF or WebP' },
    patientId: { type: 'string', maxLength: 500, description: "groups images of one patient in training splits; default: the image's own id" },
    specimen: { type: 'string', maxLength: 500 },
  },
};

function projectView(project: Project) {
  return { ...project, createdAt: iso(project.createdAt) };
}

function decisionView(decision: ImageDecision) {
  const { sha256, patientId, specimen, originalName, votes, adjudicatedLabel, label, status } = decision;
  return { image: imageRef(sha256), patientId, specimen, originalName, votes, adjudicatedLabel, label, status };
}

type ProjectRequest = { Params: { id: number } };

export async function projectRoutes(app: FastifyInstance, { store, imageLimits }: ProjectRoutesOptions): Promise<void> {
  app.get(
    '/projects',
    { config: { access: ANNOTATION }, schema: { summary: 'List annotation projects', tags: ['annotation'], response: { 200: { type: 'array', items: projectSchema } } } },
    async () => store.projects.list().map(projectView),
  );

  app.post<{ Body: { name: string; classTree: unknown; labelsRequired: number } }>(
    '/projects',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Create an annotation project from a class tree',
        description: "classTree: [{name, children?}]; the leaves are the labels. Annotators can also answer 'unclear' or 'skip'.",
        tags: ['annotation'],
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
      },
    },
    async (request, reply) => {
      const project = store.projects.create({ ...request.body, createdBy: currentUser(request).id });
      return reply.code(201).send(projectView(project));
    },
  );

  app.get<ProjectRequest>(
    '/projects/:id',
    { config: { access: ANNOTATION }, schema: { summary: 'One project with its class tree and choices', tags: ['annotation'], params: idParams, response: { 200: projectSchema } } },
    async (request) => projectView(store.projects.require(request.params.id)),
  );

  app.post<ProjectRequest>(
    '/projects/:id/images',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Upload an image into a project',
        description: 'Answers 201 when added, 200 when the same image was already in the project. The file name is kept as text only.',
        tags: ['annotation'],
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
      },
    },
    async (request, reply) => {
      const projectId = request.params.id;
      store.projects.require(projectId);
      const form = await readForm(request, imageUploadForm);
      const image = await store.images.ingest(form.file.data, imageLimits);
      const { image: projectImage, added } = store.projects.addImage(projectId, {
        sha256: image.sha256,
        patientId: form.fields.patientId,
        specimen: form.fields.specimen,
        originalName: form.file.filename,
      });
      const { patientId, specimen, originalName } = projectImage;
      return reply.code(added ? 201 : 200).send({ image: { ...image, ...imageRef(image.sha256) }, patientId, specimen, originalName, added });
    },
  );

  app.get<ProjectRequest>(
    '/projects/:id/images',
    {
      config: { access: ADMIN },
      schema: { summary: "The project's images with every label and the decision", tags: ['annotation'], params: idParams, response: { 200: { type: 'array', items: decisionSchema } } },
    },
    async (request) => store.decisions.forProject(request.params.id).map(decisionView),
  );

  app.get<ProjectRequest>(
    '/projects/:id/queue/next',
    {
      config: { access: ANNOTATION },
      schema: {
        summary: 'The next image for the logged-in annotator (never shows other annotators’ labels)',
        tags: ['annotation'],
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
      },
    },
    async (request) => {
      const project = store.projects.require(request.params.id);
      const next = store.annotations.next(project.id, currentUser(request).id);
      return { image: next.sha256 === null ? null : imageRef(next.sha256), remaining: next.remaining, choices: project.choices };
    },
  );

  app.post<ProjectRequest & { Body: { image: string; label: string } }>(
    '/projects/:id/annotations',
    {
      config: { access: ANNOTATION },
      schema: {
        summary: "Label an image (replaces the annotator's earlier label for it; history is kept)",
        tags: ['annotation'],
        params: idParams,
        body: imageAndLabelBody,
        response: {
          200: {
            type: 'object',
            required: ['image', 'label', 'previousLabel'],
            properties: { image: imageRefSchema, label: { type: 'string' }, previousLabel: { type: ['string', 'null'] } },
          },
        },
      },
    },
    async (request) => {
      const result = store.annotations.label(request.params.id, request.body.image, currentUser(request).id, request.body.label);
      return { image: imageRef(result.sha256), label: result.label, previousLabel: result.previousLabel };
    },
  );

  app.post<ProjectRequest>(
    '/projects/:id/annotations/undo',
    {
      config: { access: ANNOTATION },
      schema: {
        summary: "Take back the annotator's most recent label in this project",
        description: 'Restores their earlier label for that image if there was one, otherwise puts the image back in their queue. 409 when there is nothing to undo.',
        tags: ['annotation'],
        params: idParams,
        response: {
          200: {
            type: 'object',
            required: ['image', 'undoneLabel', 'restoredLabel'],
            properties: { image: imageRefSchema, undoneLabel: { type: 'string' }, restoredLabel: { type: ['string', 'null'] } },
          },
        },
      },
    },
    async (request) => {
      const undone = store.annotations.undoLast(request.params.id, currentUser(request).id);
      if (!undone) throw new HttpError(409, 'nothing to undo');
      return { image: imageRef(undone.sha256), undoneLabel: undone.undoneLabel, restoredLabel: undone.restoredLabel };
    },
  );

  app.get<ProjectRequest>(
    '/projects/:id/agreement',
    {
      config: { access: ADMIN },
      schema: {
        summary: "Inter-annotator agreement: Cohen's kappa per annotator pair, Fleiss' kappa for the project",
        tags: ['annotation'],
        params: idParams,
        response: {
          200: {
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
          },
        },
      },
    },
    async (request) => store.decisions.agreement(request.params.id),
  );

  app.get<ProjectRequest>(
    '/projects/:id/disagreements',
    {
      config: { access: ADMIN },
      schema: { summary: 'Images whose annotators gave different labels', tags: ['annotation'], params: idParams, response: { 200: { type: 'array', items: decisionSchema } } },
    },
    async (request) => store.decisions.disagreements(request.params.id).map(decisionView),
  );

  app.post<ProjectRequest & { Body: { image: string; label: string } }>(
    '/projects/:id/adjudications',
    {
      config: { access: ADMIN },
      schema: {
        summary: "Set an image's final label (a class, or 'unclear' to keep it out of training)",
        tags: ['annotation'],
        params: idParams,
        body: imageAndLabelBody,
        response: { 200: decisionSchema },
      },
    },
    async (request) => decisionView(store.decisions.adjudicate(request.params.id, request.body.image, request.body.label, currentUser(request).id)),
  );

  app.get<ProjectRequest>(
    '/projects/:id/manifest.csv',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'The training manifest: path,label,patient_id,specimen,annotators,agreement',
        description:
          'Paths are relative to the server data folder. Images without a decision are left out; their count is in X-Images-Left-Out, by reason in X-Images-Left-Out-Detail.',
        tags: ['annotation'],
        params: idParams,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const manifest = store.decisions.manifest(request.params.id);
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
