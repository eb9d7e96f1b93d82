// Man pages from help texts: groff renders them without warnings and shows every help line.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DIFF_USAGE } from './usage-texts.js';
import { manPage, roffEscape } from './man-page.js';
import { manPages } from './man-pages.js';

function render(page: string, warnings = false): { out: string; err: string } {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-P-cbou', ...(warnings ? ['-ww', '-z'] : [])], { input: page, encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr };
}

describe('man pages', () => {
  it('escape what roff would read as requests, escapes or non-ASCII bytes', () => {
    expect(roffEscape(".wh..wh..opq and 'x")).toBe("\\&.wh..wh..opq and 'x");
    expect(roffEscape("'quoted")).toBe("\\&'quoted");
    expect(roffEscape('a\\b --json → ok')).toBe('a\\eb \\-\\-json \\[u2192] ok');
  });

  it('render without a groff warning', () => {
    for (const [name, page] of manPages('1.2.3', '2026-12-02')) expect(render(page, true).err, name).toBe('');
  });

  it("show diff's synopsis and every line of its help", () => {
    const text = render(manPages('1.2.3', '2026-12-02').get('overlaydiff-diff.1')!).out;
    expect(text).toMatch(/^NAME\n {7}overlaydiff-diff - write the OCI layer for an overlay upperdir$/m);
    expect(text).toMatch(
      /^SYNOPSIS\n {7}overlaydiff diff --upper DIR\[:DIR\.\.\.\] \[--lower DIR\[:DIR\.\.\.\]\] \[options\]\n {7}overlaydiff diff --mounts FILE\.json/m,
    );
    for (const line of DIFF_USAGE.split('\n').slice(4)) expect(text).toContain(line.trim());
    expect(text).toMatch(/overlaydiff 1\.2\.3 +2026-12-02/);
  });

  it('link every command page from overlaydiff(1)', () => {
    const top = render(manPages('1.2.3', '2026-12-02').get('overlaydiff.1')!).out;
    expect(top).toContain('overlaydiff-diff(1), overlaydiff-apply(1)');
    expect(manPage({ name: 'x', summary: 's', usage: 'usage: x\n', seeAlso: [] }, '1', '2026-01-01')).not.toContain('DESCRIPTION');
  });
});
