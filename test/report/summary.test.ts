import { describe, expect, it } from 'vitest';
import { buildReportData, renderReportHtml, treeDisplayNames, type ReportInput } from '../../src/report/index.ts';
import { patientsPerClass } from '../../src/report/build.ts';
import { summarySentences, targetShortfall, weakestClass } from '../../src/report/summary.ts';
import { datasetCardFor } from './fixtures.ts';

/**
 * Ten images of five patients: class a (4 images, all right), b (4 images, 3 right, 1 called c),
 * c (2 images, 1 right, 1 called b). Confidence 0.9 except the two errors and image 9 (0.6).
 */
function smallInput(extra: Partial<ReportInput> = {}): ReportInput {
  const rows: [number, number, number][] = [
    [0.9, 0.05, 0.05],
    [0.9, 0.05, 0.05],
    [0.9, 0.05, 0.05],
    [0.9, 0.05, 0.05],
    [0.05, 0.9, 0.05],
    [0.05, 0.9, 0.05],
    [0.05, 0.9, 0.05],
    [0.05, 0.4, 0.55],
    [0.05, 0.55, 0.4],
    [0.2, 0.2, 0.6],
  ];
  return {
    title: 'Small test',
    model: 'test model',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    classNames: ['gpc_clusters', 'gnr', 'yeast'],
    labels: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]),
    probabilities: Float32Array.from(rows.flat()),
    groups: ['p1', 'p1', 'p2', 'p2', 'p3', 'p3', 'p4', 'p4', 'p5', 'p5'],
    seed: 1,
    bootstrapIterations: 50,
    referral: { confidenceLevel: 0.7 },
    operatingPoints: [
      { class: 'yeast', threshold: 0.5, targetSensitivity: 0.95 },
      { class: 'gpc_clusters', threshold: 0.5, targetSensitivity: 0.9 },
    ],
    datasetCard: datasetCardFor([4, 4, 2]),
    displayNames: { gpc_clusters: 'Gram-positive cocci in clusters', gnr: 'Gram-negative rods', yeast: 'Yeast' },
    ...extra,
  };
}

const visibleText = (html: string) =>
  html
    .replace(/<pre class="config">[\s\S]*?<\/pre>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

describe('plain-language summary', () => {
  it('says how often the model was right, where it was weakest, what it referred and which target it missed', () => {
    const data = buildReportData(smallInput());
    expect(summarySentences(data)).toEqual([
      expect.stringMatching(/^On 10 images of 5 patients the model named the class right in 80\.0% \(95% CI [\d.]+–[\d.]+\*?\)\.$/),
      'It was least sure about Yeast: it recognised 50.0% of the 2 images of that class, and most often called them Gram-negative rods.',
      'It marked 3 of 10 images “uncertain: refer”; on the others it was right in 100.0%.',
      'Operating points that missed their target sensitivity on this test set: Yeast 50.0% for a 95.0% target.',
    ]);
    const html = renderReportHtml(data);
    // The summary comes first, before the contents and every section.
    expect(html.indexOf('id="in-short"')).toBeGreaterThan(0);
    expect(html.indexOf('id="in-short"')).toBeLessThan(html.indexOf('class="contents"'));
  });

  it('says plainly at the top when the images are synthetic, and only then', () => {
    const synthetic = renderReportHtml(buildReportData(smallInput({ synthetic: true })));
    const notice = synthetic.indexOf('is synthetic (computer-generated)');
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(synthetic.indexOf('class="contents"'));
    expect(summarySentences(buildReportData(smallInput({ synthetic: true })))[0]).toMatch(/^On 10 synthetic images of 5 patients/);
    expect(renderReportHtml(buildReportData(smallInput()))).not.toContain('synthetic (computer-generated)');
  });

  it('finds the class with the lowest sensitivity and what it was mistaken for', () => {
    const data = buildReportData(smallInput());
    expect(weakestClass(data.evaluation)).toEqual({ index: 2, confusedWith: 1 });
  });
});

describe('operating points that miss their target', () => {
  it('are flagged in the table, and clearly missed when the whole interval lies below the target', () => {
    const data = buildReportData(smallInput());
    const [yeast, clusters] = data.operatingPoints!;
    expect(targetShortfall(clusters)).toBe('met');
    expect(targetShortfall(yeast)).not.toBe('met');
    expect(targetShortfall({ ...yeast, sensitivity: { ...yeast.sensitivity, value: 0.792, ci95: [0.7, 0.86] } })).toBe('clearly missed');
    expect(targetShortfall({ ...yeast, sensitivity: { ...yeast.sensitivity, value: 0.792, ci95: [0.7, 0.97] } })).toBe('missed');
    const html = renderReportHtml(data);
    expect(html).toMatch(/<tr><th scope="row">Yeast<\/th>.*?data-target="(missed|clearly missed)".*?<\/tr>/);
    expect(html).toMatch(/<tr><th scope="row">Gram-<wbr>positive cocci in clusters<\/th>.*?data-target="met".*?<\/tr>/);
  });
});

describe('display names', () => {
  it('are shown for every class instead of the codes, which stay in report.json', () => {
    const data = buildReportData(smallInput());
    const text = visibleText(renderReportHtml(data));
    expect(text).not.toMatch(/gpc_clusters|\bgnr\b/);
    expect(text).toContain('Gram-positive cocci in clusters');
    expect(data.evaluation.classNames).toEqual(['gpc_clusters', 'gnr', 'yeast']);
    expect(data.displayNames.gnr).toBe('Gram-negative rods');
  });

  it('come from a label tree, groups included', () => {
    expect(treeDisplayNames([{ name: 'GPC', displayName: 'Gram-positive cocci', children: [{ name: 'gpc_clusters', displayName: 'In clusters' }, { name: 'gpc_chains' }] }, { name: 'yeast' }])).toEqual({
      GPC: 'Gram-positive cocci',
      gpc_clusters: 'In clusters',
    });
  });
});

describe('report layout', () => {
  it('counts the patients of each class beside the intervals', () => {
    expect(patientsPerClass(Int32Array.from([0, 0, 1, 1, 1, 2]), ['a', 'b', 'b', 'c', 'c', 'c'], 3)).toEqual([2, 2, 1]);
    const data = buildReportData(smallInput());
    expect(data.patientsPerClass).toEqual([2, 2, 1]);
    const perClass = renderReportHtml(data).match(/<section id="per-class">[\s\S]*?<\/section>/)![0];
    expect(perClass).toContain('Images (patients)');
    expect(perClass).toMatch(/<th scope="row">Yeast<\/th><td class="num">2<span class="ci">1 patient<\/span><\/td>/);
    expect(buildReportData(smallInput({ groups: undefined })).patientsPerClass).toBeNull();
  });

  it('folds the raw configuration away and puts every table in a box that scrolls on its own', () => {
    const html = renderReportHtml(buildReportData(smallInput()));
    expect(html).toMatch(/<details class="config"><summary>[^<]+<\/summary>\s*<pre class="config">/);
    const tables = html.match(/<table\b/g)!.length;
    expect(tables).toBeGreaterThan(5);
    expect(html.match(/<div class="table-scroll"><table\b/g)!.length).toBe(tables);
    expect(html.match(/<\/table><\/div>/g)!.length).toBe(tables);
  });
});
