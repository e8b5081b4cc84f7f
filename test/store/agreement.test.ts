import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agreementReport, openStore, type Rating, type Store } from '../../src/store/index.ts';
import { describeBackends } from './backends.ts';
import { tempDir } from './fixtures.ts';
import { addImages, addUsers } from './seed.ts';

describeBackends('agreement', (backend) => {
  let database: string | undefined;
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let now = 0;

  beforeEach(async () => {
    dir = tempDir();
    database = await backend.freshDatabase();
    store = await openStore({ dataDir: dir.path, database, clock: () => ++now });
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("gives Cohen's kappa per annotator pair: sklearn's cohen_kappa_score example = 0.6875", async () => {
    // y1 = [negative, positive, negative, neutral, positive], y2 = [negative, positive, negative, neutral, negative]
    const [a, b] = await addUsers(store, ['a', 'b']);
    const project = await store.projects.create({
      name: 'sklearn',
      classTree: [{ name: 'negative' }, { name: 'positive' }, { name: 'neutral' }],
      labelsRequired: 2,
      createdBy: null,
    });
    const images = await addImages(store, project.id, 5);
    const y1 = ['negative', 'positive', 'negative', 'neutral', 'positive'];
    const y2 = ['negative', 'positive', 'negative', 'neutral', 'negative'];
    for (const [i, sha] of images.entries()) {
      await store.annotations.label(project.id, sha, a, y1[i]);
      await store.annotations.label(project.id, sha, b, y2[i]);
    }
    const report = await store.decisions.agreement(project.id);
    expect(report.categories).toEqual(['negative', 'positive', 'neutral', 'unclear']);
    expect(report.pairs).toHaveLength(1);
    expect(report.pairs[0].items).toBe(5);
    expect(report.pairs[0].kappa).toBeCloseTo(0.6875, 10);
  });

  it("gives Fleiss' kappa for the project: Wikipedia's worked example (10 items, 14 raters) = 0.210", async () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const categories = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const raters = await addUsers(
      store,
      Array.from({ length: 14 }, (_, i) => `rater${i}`),
    );
    const project = await store.projects.create({ name: 'fleiss', classTree: categories.map((name) => ({ name })), labelsRequired: 14, createdBy: null });
    const images = await addImages(store, project.id, table.length);
    for (const [item, counts] of table.entries()) {
      const labels = counts.flatMap((count, category) => Array<string>(count).fill(categories[category]));
      for (const [r, label] of labels.entries()) await store.annotations.label(project.id, images[item], raters[r], label);
    }
    const { fleiss, pairs } = await store.decisions.agreement(project.id);
    expect(fleiss.items).toBe(10);
    expect(fleiss.ratersPerItem).toBe(14);
    expect(fleiss.kappa!).toBeCloseTo(0.21, 3);
    expect(pairs).toHaveLength((14 * 13) / 2);
  });

  describe('agreementReport', () => {
    const rating = (annotatorId: number, label: string, createdAt = annotatorId): Rating => ({ annotatorId, username: `u${annotatorId}`, label, createdAt });

    it("matches a hand-computed 2×2 Cohen's kappa (20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → 0.4)", async () => {
      const cells: [string, string, number][] = [
        ['yes', 'yes', 20],
        ['yes', 'no', 5],
        ['no', 'yes', 10],
        ['no', 'no', 15],
      ];
      const images = cells.flatMap(([a, b, n]) => Array.from({ length: n }, () => [rating(1, a), rating(2, b)]));
      const report = agreementReport(images, ['yes', 'no'], 2);
      // p_o = 35/50 = 0.7, p_e = 0.5·0.6 + 0.5·0.4 = 0.5
      expect(report.pairs[0].kappa).toBeCloseTo(0.4, 12);
      expect(report.fleiss.items).toBe(50);
    });

    it('uses the earliest ratings when an image has more than Fleiss needs, and null when undefined', async () => {
      const report = agreementReport([[rating(1, 'a', 5), rating(2, 'a', 1), rating(3, 'b', 9)], [rating(1, 'b'), rating(2, 'b')]], ['a', 'b'], 2);
      expect(report.fleiss).toEqual({ kappa: 1, items: 2, ratersPerItem: 2 });
      expect(agreementReport([[rating(1, 'a')]], ['a', 'b'], 1).fleiss).toEqual({ kappa: null, items: 0, ratersPerItem: 2 });
      const allSame = agreementReport([[rating(1, 'a'), rating(2, 'a')]], ['a', 'b'], 2);
      expect(allSame.pairs[0].kappa).toBeNull();
      expect(allSame.fleiss.kappa).toBeNull();
      const disjoint = agreementReport([[rating(1, 'a')], [rating(2, 'b')]], ['a', 'b'], 1);
      expect(disjoint.pairs[0]).toMatchObject({ items: 0, kappa: null });
    });
  });
});
