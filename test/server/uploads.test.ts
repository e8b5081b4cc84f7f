import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decompressionBombPng, HTML_AS_JPEG, jpegImage, jpegWithGpsExif, pngImage, SVG_AS_JPEG } from '../store/fixtures.ts';
import { describeBackends, fakePredictor, multipart, startTestServer, type FakePredictor, type FormPart, type TestServer } from './helpers.ts';

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(root, path)).isFile())
    .map((path) => relative(root, join(root, path)));
}

describeBackends('image uploads', (backend) => {
  let server: TestServer;
  let predictor: FakePredictor;
  let projectId: number;

  beforeAll(async () => {
    predictor = fakePredictor();
    server = await startTestServer({ backend, predictor });
    const project = await server.as('admin', {
      method: 'POST',
      url: '/api/projects',
      payload: { name: 'uploads', classTree: [{ name: 'cocci' }, { name: 'rods' }], labelsRequired: 1 },
    });
    projectId = project.json().id;
  });
  afterAll(() => server.close());

  const uploadToProject = (parts: FormPart[]) => server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart(parts) });
  const predict = (parts: FormPart[]) => server.as('clinician', { method: 'POST', url: '/api/predict', ...multipart(parts) });
  const imagePart = (data: Buffer, filename = 'photo.jpg'): FormPart => ({ name: 'image', filename, data });

  it.each([
    ['plain text', Buffer.from('hello, not an image'), 415],
    ['an SVG disguised as .jpg', SVG_AS_JPEG, 415],
    ['HTML disguised as .jpg', HTML_AS_JPEG, 415],
    ['an empty file', Buffer.alloc(0), 400],
  ])('refuses %s', async (_what, data, status) => {
    for (const response of [await uploadToProject([imagePart(data)]), await predict([imagePart(data), { name: 'specimenType', value: 'blood' }])]) {
      expect(response.statusCode).toBe(status);
      expect(response.json()).toEqual({ error: expect.any(String) });
    }
  });

  it('refuses a truncated JPEG with 422', async () => {
    const jpeg = await jpegImage(300, 300);
    const response = await uploadToProject([imagePart(jpeg.subarray(0, Math.floor(jpeg.length / 2)))]);
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/truncated or corrupt/);
  });

  it('refuses a 50 MB upload with 413', async () => {
    const huge = Buffer.alloc(50 * 1024 * 1024);
    (await jpegImage()).copy(huge);
    const response = await uploadToProject([imagePart(huge)]);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'the image is larger than the 20 MB upload limit' });
  });

  it('refuses a 20000×20000 decompression bomb with 413, before the predictor sees it', async () => {
    const response = await predict([imagePart(decompressionBombPng(), 'bomb.png'), { name: 'specimenType', value: 'blood' }]);
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatch(/20000×20000/);
    expect(predictor.calls).toHaveLength(0);
  });

  it('checks the form: file field, required fields, unknown fields, content type', async () => {
    const png = await pngImage(40);
    expect((await predict([imagePart(png)])).json()).toEqual({ error: 'the form field "specimenType" is required' });
    expect((await predict([{ name: 'specimenType', value: 'blood' }])).json()).toEqual({ error: 'the form has no file in the field "image"' });
    expect((await predict([{ name: 'photo', filename: 'a.png', data: png }, { name: 'specimenType', value: 'blood' }])).statusCode).toBe(400);
    expect((await predict([imagePart(png), { name: 'specimenType', value: 'blood' }, { name: 'admin', value: 'true' }])).json()).toEqual({
      error: 'unknown form field "admin"',
    });
    const json = await server.as('clinician', { method: 'POST', url: '/api/predict', payload: { image: 'x' } });
    expect(json.statusCode).toBe(415);
    expect(predictor.calls).toHaveLength(0);
  });

  it('never uses the uploaded file name as a path, only as text', async () => {
    const trick = "../../etc/passwd'; DROP TABLE images;--";
    const response = await uploadToProject([imagePart(await pngImage(41), trick), { name: 'patientId', value: '../../../root' }]);
    expect(response.statusCode).toBe(201);
    const { image, originalName, patientId } = response.json();
    // the multipart parser keeps only the last path segment; the rest of the name is kept as given
    expect(originalName).toBe("passwd'; DROP TABLE images;--");
    expect(patientId).toBe('../../../root');
    expect(image).toMatchObject({ format: 'png', url: `/api/images/${image.sha256}` });
    const files = filesUnder(server.dataDir);
    expect(files).toContain(join('images', image.sha256.slice(0, 2), image.sha256.slice(2)));
    for (const file of files) expect(file).toMatch(/^(gramlens\.sqlite(-wal|-shm)?|images\/[0-9a-f]{2}\/[0-9a-f]{62}|heatmaps\/[0-9a-f-]{36}\.png)$/);

    const again = await uploadToProject([imagePart(await pngImage(41), 'other-name.png')]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ added: false, originalName });
  });

  it('strips EXIF and GPS (after honouring the orientation) before the model or anyone sees the image', async () => {
    const response = await predict([imagePart(await jpegWithGpsExif()), { name: 'specimenType', value: 'sputum' }]);
    expect(response.statusCode).toBe(201);
    const seenByModel = await sharp(predictor.calls.at(-1)!).metadata();
    expect(seenByModel.exif).toBeUndefined();
    expect([seenByModel.width, seenByModel.height]).toEqual([32, 64]);

    const served = await server.as('clinician', { method: 'GET', url: response.json().image.url });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    const bytes = served.rawPayload;
    const metadata = await sharp(bytes).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    expect(bytes.includes(Buffer.from('SecretPhone'))).toBe(false);
    expect(bytes.includes(Buffer.from('GPS'))).toBe(false);
  });

  it('answers an image whose file is gone from the image folder with a one-line 404, not a server error', async () => {
    const predicted = await predict([imagePart(await pngImage(43), 'gone.png'), { name: 'specimenType', value: 'sputum' }]);
    const { sha256, url } = predicted.json().image;
    rmSync(join(server.dataDir, 'images', sha256.slice(0, 2), sha256.slice(2)));
    const response = await server.as('admin', { method: 'GET', url });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: `the file of image ${sha256} is missing from the image store` });
  });

  it('leaves nothing behind for refused uploads', async () => {
    const images = await server.as('admin', { method: 'GET', url: `/api/projects/${projectId}/images` });
    expect(images.json()).toHaveLength(1);
    expect(readdirSync(join(server.dataDir, 'images', '.incoming'))).toEqual([]);
  });
});
