import { describe, expect, it } from 'vitest';
import { DecodeBudget } from '../../src/server/decode-budget.ts';
import { pngImage } from '../store/fixtures.ts';
import { fakePredictor, multipart, startTestServer } from './helpers.ts';

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('the decode budget', () => {
  it('runs work while its pixels fit, in the order it came, and a job larger than the budget alone', async () => {
    const budget = new DecodeBudget(10, 8);
    const log: string[] = [];
    const gates = Object.fromEntries(['a', 'b', 'c', 'd'].map((name) => [name, gate()]));
    const job = (name: string, pixels: number) =>
      budget.run(pixels, async () => {
        log.push(`start ${name}`);
        await gates[name].opened;
        log.push(`end ${name}`);
      });
    const done = [job('a', 6), job('b', 6), job('c', 3), job('d', 25)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    // b does not fit beside a; c would, but does not overtake b
    expect(log).toEqual(['start a']);
    gates.a.open();
    await expect.poll(() => log).toEqual(['start a', 'end a', 'start b', 'start c']);
    gates.b.open();
    gates.c.open();
    await expect.poll(() => log.at(-1)).toBe('start d');
    gates.d.open();
    await Promise.all(done);
    expect(log.slice(-2)).toEqual(['start d', 'end d']);
  });

  it('refuses at once when too many wait, and frees its pixels when work fails', async () => {
    const budget = new DecodeBudget(10, 1);
    const first = gate();
    const running = budget.run(10, () => first.opened);
    const waiting = budget.run(5, async () => 'ran');
    await expect(budget.run(5, async () => 'never')).rejects.toMatchObject({ statusCode: 503 });
    first.open();
    await running;
    expect(await waiting).toBe('ran');
    await expect(budget.run(10, async () => Promise.reject(new Error('decoder failed')))).rejects.toThrow('decoder failed');
    expect(await budget.run(10, async () => 'free again')).toBe('free again');
  });
});

describe('uploads and the decode budget', () => {
  it('holds concurrent predictions to the budget and answers the excess 503 with Retry-After', async () => {
    const hold = gate();
    const predictor = fakePredictor();
    const predict = predictor.predict.bind(predictor);
    let entered = 0;
    predictor.predict = async (image) => {
      entered++;
      await hold.opened;
      return predict(image);
    };
    // 16×12 photos: room for one at a time, one more may wait
    const server = await startTestServer({ predictor, limits: { maxDecodingPixels: 200, maxWaitingDecodes: 1 } });
    try {
      const send = async (shade: number) =>
        server.as('clinician', { method: 'POST', url: '/api/predict', ...multipart([{ name: 'image', filename: 'x.png', data: await pngImage(shade) }, { name: 'specimenType', value: 'blood' }]) });
      const first = send(1);
      await expect.poll(() => entered).toBe(1);
      const others = [send(2), send(3)];
      const refused = await Promise.race(others);
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json().error).toMatch(/busy decoding/);
      expect(entered).toBe(1);
      hold.open();
      const statuses = [await first, ...(await Promise.all(others))].map((response) => response.statusCode);
      expect(statuses.sort()).toEqual([201, 201, 503]);
    } finally {
      await server.close();
    }
  });
});
