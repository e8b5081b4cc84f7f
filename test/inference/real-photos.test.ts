import { describe, expect, it } from 'vitest';
import { judgePhoto, summarisePhotos } from '../../src/inference/index.ts';
import type { FieldDecision } from '../../src/fields/index.ts';

function decision(label: string, findings: [string, string[]][], multiple = false): FieldDecision {
  return {
    label,
    probability: 0.9,
    probabilities: [],
    findings: findings.map(([label, members]) => ({ label, members })),
    morphotypes: findings.flatMap(([, members]) => members.map((m) => ({ label: m, tileCount: 5, confidentTiles: 5 }))),
    multiple,
    refer: false,
    tileCounts: [],
    evidenceShare: 1,
  };
}

describe('judging a real photo of one morphotype', () => {
  it('counts the morphotype, or its group with it among the members, as right', () => {
    expect(judgePhoto({ decision: decision('gnr', [['gnr', ['gnr']]]), uncertain: false }, 'gnr')).toEqual({
      answer: 'gnr',
      right: true,
      multiple: false,
      refusedOrUncertain: false,
      refused: false,
      wrongAndConfident: false,
    });
    expect(judgePhoto({ decision: decision('Gram-negative', [['Gram-negative', ['gnr', 'gnc']]]), uncertain: false }, 'gnr').right).toBe(true);
    expect(judgePhoto({ decision: decision('GPC', [['GPC', ['gpc_clusters', 'gpc_chains']]]), uncertain: false }, 'gnr')).toMatchObject({ right: false, wrongAndConfident: true });
  });

  it('tells polymicrobial, wrong and confident, uncertain and refused apart', () => {
    const poly = judgePhoto({ decision: decision('polymicrobial', [['gnr', ['gnr']], ['gnc', ['gnc']]], true), uncertain: false }, 'gnr');
    expect(poly).toMatchObject({ answer: 'polymicrobial', right: false, multiple: true, wrongAndConfident: true });
    expect(judgePhoto({ decision: decision('no_bacteria', []), uncertain: true }, 'gnr')).toMatchObject({ right: false, refusedOrUncertain: true, refused: false, wrongAndConfident: false });
    expect(judgePhoto({ decision: null, uncertain: false }, 'gnr')).toEqual({ answer: 'refused', right: false, multiple: false, refusedOrUncertain: true, refused: true, wrongAndConfident: false });
  });

  it('sums a set up as shares of its photos', () => {
    const verdicts = [
      judgePhoto({ decision: decision('gnr', [['gnr', ['gnr']]]), uncertain: false }, 'gnr'),
      judgePhoto({ decision: decision('gnr', [['gnr', ['gnr']]]), uncertain: true }, 'gnr'),
      judgePhoto({ decision: decision('polymicrobial', [['gnr', ['gnr']], ['gpr', ['gpr']]], true), uncertain: false }, 'gnr'),
      judgePhoto({ decision: null, uncertain: false }, 'gnr'),
    ];
    expect(summarisePhotos(verdicts)).toEqual({
      photos: 4,
      right: 0.5,
      rightAndConfident: 0.25,
      multiple: 0.25,
      wrongAndConfident: 0.25,
      refusedOrUncertain: 0.5,
      uncertain: 0.25,
      refused: 0.25,
      answers: { gnr: 2, polymicrobial: 1, refused: 1 },
    });
  });
});
