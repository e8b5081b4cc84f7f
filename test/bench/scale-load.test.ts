import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nginxSite, standaloneNginxConfig } from '../../bench/lib/nginx-site.ts';
import { parseAccessLog } from '../../bench/lib/scale-cluster.ts';
import { checkWrites, countErrors, predictionsPerSecond, type Outcome } from '../../bench/lib/scale-load.ts';

const KILLED = '127.0.0.1:4002';

function outcome(tag: string, statuses: Array<number | null>, predictionId: string | null = null, kind: Outcome['kind'] = 'predict', endedAt = 0): Outcome {
  return { kind, tag, attempts: statuses.map((status, i) => ({ tag: `${tag}.${i + 1}`, status })), status: statuses.at(-1)!, predictionId, endedAt };
}

describe('nginx site of the scale-out deployment', () => {
  it('is the text docs/deployment.md shows for its example servers', async () => {
    const docs = await readFile(join(import.meta.dirname, '../../docs/deployment.md'), 'utf8');
    const shown = docs.match(/```nginx\n([\s\S]*?)```/)?.[1];
    const written = nginxSite({
      servers: ['10.0.0.11:8080', '10.0.0.12:8080', '10.0.0.13:8080'],
      listen: '443 ssl',
      serverName: 'gramlens.example.org',
      tls: { certificate: '/etc/ssl/gramlens.crt', key: '/etc/ssl/gramlens.key' },
    });
    expect(shown, 'docs/deployment.md must show what bench/lib/nginx-site.ts writes').toBe(written);
  });

  it('lists every server in the upstream and retries only what no server received', () => {
    const site = nginxSite({ servers: ['127.0.0.1:1', '127.0.0.1:2'], listen: '127.0.0.1:9' });
    expect(site).toMatch(/server 127\.0\.0\.1:1 [^\n]*;\n\s+server 127\.0\.0\.1:2 /);
    expect(site).toContain('listen 127.0.0.1:9;');
    expect(site).toContain('proxy_next_upstream error timeout;');
    expect(site).not.toContain('non_idempotent');
    expect(site).not.toContain('ssl_certificate');
    expect(() => nginxSite({ servers: [], listen: '80' })).toThrow(/at least one/);
  });

  it('wraps the site in a foreground nginx.conf whose files stay in its folder', () => {
    const config = standaloneNginxConfig(nginxSite({ servers: ['127.0.0.1:1'], listen: '127.0.0.1:9' }), '/tmp/x', '$status');
    expect(config).toMatch(/^daemon off;/);
    expect(config.indexOf('log_format bench')).toBeLessThan(config.indexOf('access_log /tmp/x/access.log bench'));
    for (const line of config.split('\n').filter((text) => /_path |pid |_log /.test(text))) expect(line).toContain('/tmp/x/');
    expect(config.match(/\{/g)!.length).toBe(config.match(/\}/g)!.length);
  });
});

describe('nginx access log', () => {
  it('reads the tag, the status and the servers tried, in order', () => {
    const lines = parseAccessLog(['a.1|201|127.0.0.1:4001|201', `b.1|201|${KILLED}, 127.0.0.1:4001|502, 201`, 'c.1|502|127.0.0.1:4002|502', '-|400|-|-', ''].join('\n'));
    expect(lines).toEqual([
      { tag: 'a.1', status: 201, upstreams: ['127.0.0.1:4001'] },
      { tag: 'b.1', status: 201, upstreams: [KILLED, '127.0.0.1:4001'] },
      { tag: 'c.1', status: 502, upstreams: [KILLED] },
      { tag: '-', status: 400, upstreams: [] },
    ]);
  });
});

describe('errors of the scale-out load', () => {
  const log = parseAccessLog([`k.1|502|${KILLED}|502`, 'o.1|502|127.0.0.1:4001|502', `s.1|503|${KILLED}|503`].join('\n'));

  it('excuses a retry only when the attempt it repeats died with the killed server', () => {
    const outcomes = [
      outcome('fine', [201], 'p1'),
      outcome('k', [502, 201], 'p2'),
      outcome('o', [502, 201], 'p3'),
      outcome('s', [503, 200], null, 'annotate'),
      outcome('lost', [null, 201], 'p4'),
      outcome('failed', [502, 502, 502, 502, 502]),
      outcome('refused', [400]),
    ];
    expect(countErrors(outcomes, log, KILLED)).toEqual({ errors: 5, failed: 2, retried: 4, retriedFromKilled: 1 });
  });

  it('excuses nothing when no server was killed', () => {
    expect(countErrors([outcome('k', [502, 201], 'p2')], log, null)).toEqual({ errors: 1, failed: 0, retried: 1, retriedFromKilled: 0 });
  });
});

describe('acknowledged writes against the audit trail', () => {
  it('finds answered predictions without their own row, and rows no client was told of', () => {
    const outcomes = [outcome('a', [201], 'p1'), outcome('b', [502, 201], 'p2'), outcome('c', [201], 'p3'), outcome('d', [201], 'p4'), outcome('e', [400])];
    const rows = [
      { id: 'p1', caseId: 'a' },
      { id: 'p2', caseId: 'b' },
      { id: 'x1', caseId: 'b' },
      { id: 'p3', caseId: 'other' },
      { id: 'x2', caseId: 'e' },
    ];
    expect(checkWrites(outcomes, rows)).toEqual({ acknowledged: 4, lost: 2, unacknowledged: 2, duplicated: 1 });
  });
});

describe('predictions per second', () => {
  it('counts the 201 predictions that ended after the warm-up and before the end', () => {
    const outcomes = [
      outcome('early', [201], 'p', 'predict', 1500),
      outcome('in1', [201], 'p', 'predict', 2500),
      outcome('in2', [201], 'p', 'predict', 5000),
      outcome('late', [201], 'p', 'predict', 5001),
      outcome('label', [200], null, 'annotate', 3000),
      outcome('refused', [400], null, 'predict', 3000),
    ];
    expect(predictionsPerSecond(outcomes, 1000, 4, 1)).toBeCloseTo(2 / 3, 10);
  });
});
