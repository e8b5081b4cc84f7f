// What the scale-out benchmark needs in a fresh gramlens: users, photos to predict, a project to
// label, and a labelled project to train on (through the API, as an admin would).
import { CLASS_IDS } from '../../src/synth/index.ts';
import type { ClientSpec } from './scale-load.ts';
import { ADMIN_PASSWORD, api, createUser, login, tileJpeg } from './serve-harness.ts';

export interface Seeded {
  admin: string;
  clinician: string;
  annotator: string;
  photos: Buffer[];
  labellingProject: number;
  labellingImages: string[];
  trainingProject: number;
}

async function upload(url: string, cookie: string, project: number, photo: Buffer, name: string, patientId?: string): Promise<string> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), name);
  if (patientId) form.append('patientId', patientId);
  return (await api<{ image: { sha256: string } }>(url, cookie, 'POST', `/projects/${project}/images`, form)).image.sha256;
}

/** Seeds through `url`: trainImages labelled tiles (10 patients a class at least) in a project of their own. */
export async function seedCluster(url: string, trainImages: number, log: (text: string) => void): Promise<Seeded> {
  const admin = await login(url, 'admin', ADMIN_PASSWORD);
  const clinician = await createUser(url, admin, 'scale-clinician', 'clinician');
  const annotator = await createUser(url, admin, 'scale-annotator', 'annotator');
  const photos = await Promise.all(Array.from({ length: 8 }, (_, i) => tileJpeg(CLASS_IDS[i % CLASS_IDS.length], 4242 + i)));
  const classTree = CLASS_IDS.map((name) => ({ name }));
  const labelling = await api<{ id: number }>(url, admin, 'POST', '/projects', { name: 'labelling', classTree, labelsRequired: 1 });
  const labellingImages: string[] = [];
  for (let i = 0; i < 20; i++) labellingImages.push(await upload(url, admin, labelling.id, await tileJpeg(CLASS_IDS[i % CLASS_IDS.length], 100 + i), `l${i}.jpg`));
  log(`seeding a training project of ${trainImages} labelled images`);
  const training = await api<{ id: number }>(url, admin, 'POST', '/projects', { name: 'training', classTree, labelsRequired: 1 });
  const patients = Math.max(CLASS_IDS.length * 10, Math.floor(trainImages / 3));
  for (let i = 0; i < trainImages; i++) {
    const label = CLASS_IDS[i % CLASS_IDS.length];
    const sha = await upload(url, admin, training.id, await tileJpeg(label, 10_000 + i, 48), `t${i}.jpg`, `patient-${i % patients}`);
    await api(url, annotator.cookie, 'POST', `/projects/${training.id}/annotations`, { image: sha, label });
  }
  return { admin, clinician: clinician.cookie, annotator: annotator.cookie, photos, labellingProject: labelling.id, labellingImages, trainingProject: training.id };
}

/** A clinician's client: POST /api/predict with one of the photos, the request's tag as its caseId. */
export function predictClient(seeded: Seeded, index: number): ClientSpec {
  let n = 0;
  return {
    kind: 'predict',
    request(tag) {
      const form = new FormData();
      const photo = seeded.photos[(index + n++) % seeded.photos.length];
      form.append('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
      form.append('specimenType', 'sputum');
      form.append('caseId', tag);
      return { path: '/api/predict', init: { method: 'POST', headers: { cookie: seeded.clinician }, body: form } };
    },
  };
}

/** An annotator's client: labels the labelling project's images in turn (a label replaces the annotator's earlier one). */
export function annotateClient(seeded: Seeded, index: number): ClientSpec {
  let n = index;
  return {
    kind: 'annotate',
    request() {
      const i = n++;
      const body = JSON.stringify({ image: seeded.labellingImages[i % seeded.labellingImages.length], label: CLASS_IDS[i % CLASS_IDS.length] });
      return { path: `/api/projects/${seeded.labellingProject}/annotations`, init: { method: 'POST', headers: { cookie: seeded.annotator, 'content-type': 'application/json' }, body } };
    },
  };
}
