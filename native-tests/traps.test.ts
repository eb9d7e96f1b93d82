// Ten known ways an overlay differ goes wrong (namespaces, whiteouts, opaque markers, hardlinks, redirects, metacopy, index, private xattrs, determinism), each on a real mount, asserted on the layer's members.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoPrivateXattrs, expectSameTree, expectWellFormedWhiteouts, listTar, memberNames } from './harness/layer.js';
import type { Mode, Scenario } from './harness/overlay.js';
import { canRun, forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();

const setxattr = (path: string, name: string, value: string): string =>
  `python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())' ${path} ${name} ${value}`;

describe('trap 1: opaque comes from the mount namespace only', () => {
  // [mount mode, the OTHER namespace stamped on the lower]
  const cases: [Mode, string][] = [
    ['trusted', 'user'],
    ['user-root', 'trusted'],
    ['user', 'trusted'],
  ];
  for (const [mode, stale] of cases) {
    it.runIf(canRun(mode))(`a ${mode} mount ignores a stale ${stale}.overlay.opaque copied up from the lower`, () => {
      const s = scenario(mode);
      s.prepare(`mkdir $L0/d; touch $L0/d/x; ${setxattr('$L0/d', `${stale}.overlay.opaque`, 'y')}`);
      s.change('touch d/new');
      const { merged, applied, diff } = s.roundTrip();
      expect(memberNames(diff.layer)).toEqual(['d/', 'd/new']);
      expectNoPrivateXattrs(listTar(diff.layer));
      expectSameTree(merged, applied);
    });
  }

  forModes(['trusted', 'user'] as const, 'a real rm -rf + mkdir on a %s mount is opaque', (mode) => {
    const s = scenario(mode);
    s.prepare('mkdir -p $L0/d/sub; touch $L0/d/x $L0/d/sub/y');
    s.change('rm -rf d && mkdir -p d/sub && echo z > d/sub/z');
    const { merged, applied, diff } = s.roundTrip();
    expect(memberNames(diff.layer)).toEqual(['d/', 'd/.wh..wh..opq', 'd/sub/', 'd/sub/z']);
    expectSameTree(merged, applied);
  });
});

describe('trap 2: whiteouts only for names visible below', () => {
  forModes(['trusted', 'user'] as const, '%s: whiteouts a dangling symlink, not a name the base no longer has', (mode) => {
    const s = scenario(mode);
    s.prepare('ln -s /nonexistent $L0/dl; echo x > $L0/gone');
    s.change('rm dl gone');
    s.prepare('rm $L0/gone');
    const members = listTar(s.diff().layer);
    expect(members.map((m) => m.name)).toEqual(['.wh.dl']);
    expectWellFormedWhiteouts(members);
  });
});

describe('trap 3: no opaque marker without a lower directory', () => {
  it.runIf(canRun('trusted'))('xino=on: new dirs and a dir replacing a file carry no marker', () => {
    const s = scenario('trusted');
    s.prepare('mkdir -p $L0/d/sub $L0/e; touch $L0/d/x $L0/d/sub/y; echo f > $L0/filething');
    s.change('mkdir e/newdir newtop; rm -rf d && mkdir -p d/sub && echo z > d/sub/z; rm filething && mkdir filething', ['xino=on']);
    const { merged, applied, diff } = s.roundTrip();
    const names = memberNames(diff.layer);
    expect(names.filter((n) => n.endsWith('.wh..wh..opq'))).toEqual(['d/.wh..wh..opq']);
    expect(names).toEqual(expect.arrayContaining(['e/newdir/', 'newtop/', 'filething/']));
    expectSameTree(merged, applied);
  });
});

describe('trap 4: whiteouts sharing an inode are not hardlinks', () => {
  forModes(['trusted', 'user'] as const, '%s: two whiteouts, one inode; real links of new files still link', (mode) => {
    const s = scenario(mode);
    s.prepare('touch $L0/a $L0/b');
    s.change('rm a b; echo n > new1; ln new1 new2');
    const a = statSync(join(s.upper, 'a'));
    const b = statSync(join(s.upper, 'b'));
    expect(a.ino).toBe(b.ino); // the kernel shares one whiteout inode
    expect(a.nlink).toBeGreaterThan(1);
    const members = listTar(s.diff().layer);
    expect(members.map((m) => [m.name, m.type, m.linkname])).toEqual([
      ['.wh.a', 'file', ''],
      ['.wh.b', 'file', ''],
      ['new1', 'file', ''],
      ['new2', 'hardlink', 'new1'],
    ]);
  });
});

describe('trap 8: a hardlink to a lower file keeps both names', () => {
  forModes(['trusted', 'user'] as const, '%s: ln of a lower file emits the data once and one link', (mode) => {
    const s = scenario(mode);
    s.prepare('echo content > $L0/s');
    s.change('ln s s_link');
    const { merged, applied, diff } = s.roundTrip();
    expect(listTar(diff.layer).map((m) => [m.name, m.type, m.linkname])).toEqual([
      ['s', 'file', ''],
      ['s_link', 'hardlink', 's'],
    ]);
    expectSameTree(merged, applied);
  });
});

describe('trap 9: private xattrs never leak, capabilities survive byte for byte', () => {
  forModes(['trusted', 'user'] as const, '%s mount', (mode) => {
    const s = scenario(mode);
    s.prepare('echo a > $L0/f; mkdir $L0/d; touch $L0/d/x; setcap cap_net_raw+ep $L0/f');
    const ns = mode === 'trusted' ? 'trusted' : 'user';
    s.change(`setfattr -n ${ns}.overlay.foo -v v f; setfattr -n user.plain -v v f; rm d/x`);
    const lowerCap = execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "security.capability").hex())', join(s.lowers[0]!, 'f')], {
      encoding: 'utf8',
    }).trim();
    const { merged, applied, diff } = s.roundTrip();
    const members = listTar(diff.layer);
    expectNoPrivateXattrs(members);
    const f = members.find((m) => m.name === 'f');
    expect(f?.xattrs['user.plain']).toBe(Buffer.from('v').toString('hex'));
    expect(f?.xattrs['security.capability']).toBe(lowerCap);
    expect(memberNames(diff.layer)).toContain('d/.wh.x');
    expectSameTree(merged, applied);
  });
});

describe('trap 5: redirect_dir renames carry their full content', () => {
  it.runIf(canRun('trusted'))('a renamed lower dir, a nested rename, a rename of a renamed dir, edits inside', () => {
    const s = scenario('trusted', 2);
    s.prepare(`
      mkdir -p $L1/dir1/sub $L1/other/inner $L1/chain; echo data > $L1/dir1/f; echo deep > $L1/dir1/sub/g
      echo bottom > $L1/dir1/from-L1; echo i > $L1/other/inner/i; echo c > $L1/chain/c
      mkdir -p $L0/dir1; echo top > $L0/dir1/from-L0; ln -s f $L0/dir1/link
    `);
    s.change(
      `
      mv dir1 dir2
      echo new > dir2/added; rm dir2/from-L1; echo more >> dir2/f
      mv other/inner dir2/moved-in
      mv chain chain2 && mv chain2 chain3
    `,
      ['redirect_dir=on'],
    );
    const redirect = (path: string): string =>
      execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.redirect").decode())', join(s.upper, path)], {
        encoding: 'utf8',
      }).trim();
    expect(redirect('dir2')).toBe('dir1'); // the kernel really renamed by redirect, leaving dir2 nearly empty
    expect(redirect('chain3')).toBe('chain');
    expect(redirect('dir2/moved-in')).toBe('/other/inner');
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    const names = memberNames(diff.layer);
    expect(names).toEqual(
      expect.arrayContaining(['.wh.dir1', 'dir2/', 'dir2/f', 'dir2/sub/', 'dir2/sub/g', 'dir2/from-L0', 'dir2/moved-in/i', '.wh.chain', 'chain3/c']),
    );
    expect(names).not.toContain('dir2/from-L1');
    expectWellFormedWhiteouts(listTar(diff.layer));
  });
});

describe('trap 6: metacopy uppers take their data from the lower origin', () => {
  it.runIf(canRun('trusted'))('a chmod and a rename of metacopy files carry the real data, never zeros', () => {
    const s = scenario('trusted');
    s.prepare('echo realdata > $L0/file; echo moved-data > $L0/old; mkdir $L0/d; echo deep > $L0/d/x');
    s.change('chmod 600 file; chmod 640 old && mv old new; chown 7:7 d/x', ['metacopy=on', 'redirect_dir=on']);
    expect(execFileSync('od', ['-An', '-c', join(s.upper, 'file')], { encoding: 'utf8' })).toMatch(/^\s*(\\0\s*)+$/); // holes
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    const members = listTar(diff.layer);
    expect(members.find((m) => m.name === 'file')).toMatchObject({ mode: 0o600, size: 9 });
    expect(members.find((m) => m.name === 'new')).toMatchObject({ mode: 0o640, size: 11 });
    expect(members.map((m) => m.name)).toContain('.wh.old');
  });
});

describe('trap 7: index=on aliases are linked to the copied-up name', () => {
  it.runIf(canRun('trusted'))('an append to one name of a lower hardlink set changes all visible names', () => {
    const s = scenario('trusted', 2);
    s.prepare(`
      echo x > $L1/h1; ln $L1/h1 $L1/h2; mkdir $L1/d $L1/gone; ln $L1/h1 $L1/d/h3; ln $L1/h1 $L1/gone/h4; ln $L1/h1 $L1/h5
      mkdir -p $L0; echo other > $L0/h5
    `);
    s.change('echo more >> h1; rm -rf gone', ['index=on']);
    expect(statSync(join(s.upper, 'h1')).nlink).toBe(2); // h1 + the workdir index entry
    const refused = s.diff([], 'no-workdir.tar');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('pass --workdir'); // never diffed as if index were off
    const diff = s.diff(['--workdir', s.work]);
    expect(diff.code, diff.stderr).toBe(0);
    expectSameTree(s.mergedManifest(), s.appliedManifest(diff.layer));
    const members = listTar(diff.layer).map((m) => [m.name, m.type, m.linkname]);
    // Canonical order puts d/h3 first: it carries the data, the others link to it.
    expect(members).toContainEqual(['d/h3', 'file', '']);
    expect(members).toContainEqual(['h1', 'hardlink', 'd/h3']);
    expect(members).toContainEqual(['h2', 'hardlink', 'd/h3']);
    expect(members.map((m) => m[0])).not.toContain('gone/h4'); // deleted with its dir
    expect(members.map((m) => m[0])).not.toContain('h5'); // hidden by L0's own h5
  });
});

describe('trap 10: determinism', () => {
  forModes(['trusted', 'user'] as const, '%s: two diffs are byte-identical and the diffID is the tar sha256', (mode) => {
    const s = scenario(mode);
    s.prepare('mkdir -p $L0/d/sub $L0/a; echo 1 > $L0/d/sub/x; echo u > $L0/same; touch -d @1600000000 $L0/same $L0/d $L0/d/sub');
    s.change('chmod 644 same; echo 2 > d/sub/x; touch a-b a.b a/z');
    const one = s.diff([], 'l1.tar');
    const two = s.diff([], 'l2.tar');
    const bytes = readFileSync(one.layer);
    expect(bytes.equals(readFileSync(two.layer))).toBe(true);
    expect(one.descriptor?.diffID).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    const names = memberNames(one.layer);
    expect(names.indexOf('a/')).toBeLessThan(names.indexOf('a/z'));
    expect(names.indexOf('a/z')).toBeLessThan(names.indexOf('a-b'));
    expect(names.indexOf('a-b')).toBeLessThan(names.indexOf('a.b'));
    expect(names.filter((n) => n === 'd/' || n === 'd/sub/')).toEqual(['d/', 'd/sub/']);
    expect(names).not.toContain('same'); // copied up by a no-op chmod: same metadata, same content
    expect(names).toContain('d/sub/x');
  });

  forModes(['trusted', 'user'] as const, '%s: a copied-up file with whole-second mtimes and changed content is emitted', (mode) => {
    const s = scenario(mode);
    s.prepare('echo aaaa > $L0/f; echo same > $L0/g; touch -d @1600000000 $L0/f $L0/g');
    // Same size and mtime restored: only the content tells the change apart.
    s.change('echo bbbb > f; touch -d @1600000000 f; chmod 644 g');
    const { merged, applied, diff } = s.roundTrip();
    expect(memberNames(diff.layer)).toEqual(['f']);
    expectSameTree(merged, applied);
  });
});

describe('features the upper alone cannot describe are refused', () => {
  const refuses = (s: Scenario, pattern: RegExp): void => {
    const r = s.diff();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(() => statSync(r.layer)).toThrow();
  };

  forModes(['trusted', 'user'] as const, '%s: an upper file literally named .wh.foo', (mode) => {
    const s = scenario(mode);
    s.change('mkdir d');
    s.prepare('touch $U/d/.wh.foo');
    refuses(s, /d\/\.wh\.foo: the name starts with "\.wh\."/);
  });
});
