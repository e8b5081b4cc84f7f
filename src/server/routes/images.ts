import type { FastifyInstance } from 'fastify';
import type { SessionUser } from '../../contract/index.ts';
import type { Store } from '../../store/index.ts';
import { ANY_ROLE, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { sha256Schema } from '../schemas.ts';

export interface ImageRoutesOptions {
  store: Store;
}

/** Admins see every image, annotators those in annotation projects, clinicians those of their own predictions. */
async function maySee(store: Store, user: SessionUser, sha256: string): Promise<boolean> {
  if (user.role === 'admin') return true;
  if (user.role === 'annotator') return store.projects.isInAnyProject(sha256);
  return store.predictions.isImageOfUser(sha256, user.id);
}

export async function imageRoutes(app: FastifyInstance, { store }: ImageRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('images');

  app.get<{ Params: { sha: string } }>(
    '/images/:sha',
    route(ANY_ROLE, {
      summary: 'A stored image (re-encoded, without metadata)',
      description: 'Answers 404 both for unknown images and for images the user may not see.',
      params: { type: 'object', required: ['sha'], properties: { sha: sha256Schema } },
      produces: ['image/jpeg', 'image/png'],
    }),
    async (request, reply) => {
      const { sha } = request.params;
      const image = await store.images.get(sha);
      if (!image || !(await maySee(store, currentUser(request), sha))) throw new HttpError(404, 'no such image');
      return reply.type(`image/${image.format}`).send(await store.images.stream(sha));
    },
  );
}
