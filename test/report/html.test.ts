import { describe, expect, it } from 'vitest';
import { breakableText, escapeHtml, html, trustedHtml } from '../../src/report/html.ts';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('html', () => {
  it('escapes interpolated text but not nested html', () => {
    const name = '<script>alert(1)</script>';
    const inner = html`<b>${name}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>&lt;script&gt;alert(1)&lt;/script&gt;</b></p>');
  });

  it('joins arrays and renders null, undefined and false as nothing, numbers as text', () => {
    expect(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>${null}${undefined}${false}${0}`.value).toBe('<ul><li>a</li><li>b</li></ul>0');
  });

  it('passes trusted text through unchanged', () => {
    expect(html`${trustedHtml('a > b')}`.value).toBe('a > b');
  });
});

describe('breakableText', () => {
  it('allows line breaks after separators and still escapes', () => {
    expect(breakableText('gpc_clusters').value).toBe('gpc_<wbr>clusters');
    expect(breakableText('<x>_y').value).toBe('&lt;x&gt;_<wbr>y');
  });
});
