import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMountsDocument, resolveMounts, validateMounts, type Mount } from './containerd-mounts.js';
import { KCONFIG_DEFAULTS } from './module-defaults.js';

// Snapshot directories as containerd's overlay snapshotter lays them out: <root>/snapshots/<id>/fs.
let root: string;
const fs = (id: number): string => join(root, 'snapshots', String(id), 'fs');
const work = (id: number): string => join(root, 'snapshots', String(id), 'work');
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-containerd-'));
  for (const id of [1, 2, 3, 4, 9]) {
    mkdirSync(fs(id), { recursive: true });
    mkdirSync(work(id));
  }
  writeFileSync(join(fs(1), 'base'), 'x');
  writeFileSync(join(fs(2), 'two'), 'x');
  writeFileSync(join(fs(3), 'three'), 'x');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

// The mounts plugins/snapshots/overlay/overlay.go mounts() returns (snapshotter options appended last).
const active = (id: number, parents: number[], extra: string[] = ['index=off']): Mount => ({
  type: 'overlay',
  source: 'overlay',
  options: [`workdir=${work(id)}`, `upperdir=${fs(id)}`, `lowerdir=${parents.map(fs).join(':')}`, ...extra],
});
const view = (parents: number[], extra: string[] = ['index=off']): Mount => ({
  type: 'overlay',
  source: 'overlay',
  options: [`lowerdir=${parents.map(fs).join(':')}`, ...extra],
});
const bind = (id: number, ro = true): Mount => ({ type: 'bind', source: fs(id), options: [ro ? 'ro' : 'rw', 'rbind'] });
const resolve = (lower: Mount[], upper: Mount[], extra = {}) => resolveMounts(lower, upper, { moduleDefaults: KCONFIG_DEFAULTS, ...extra });

describe('resolveMounts: the shapes containerd builds', () => {
  it('active snapshot over several parents, lower = read-only overlay view of them', () => {
    const r = resolve([view([3, 2, 1])], [active(4, [3, 2, 1])]);
    expect(r).toMatchObject({ upper: fs(4), lowers: [fs(3), fs(2), fs(1)], xattrNamespace: 'trusted', upperKind: 'overlay', dataLowers: [] });
    expect(r.features).toMatchObject({ index: false, userxattr: false });
  });

  it('active snapshot over one parent, lower = bind mount of that parent', () => {
    expect(resolve([bind(1)], [active(4, [1])])).toMatchObject({ upper: fs(4), lowers: [fs(1)], upperKind: 'overlay' });
  });

  it('a parent given as an overlay with upperdir contributes upperdir on top of its lowerdirs', () => {
    expect(resolve([active(3, [2, 1])], [active(4, [3, 2, 1])]).lowers).toEqual([fs(3), fs(2), fs(1)]);
  });

  it('userxattr in the snapshotter options selects the user namespace', () => {
    const r = resolve([view([2, 1], ['userxattr'])], [active(4, [2, 1], ['userxattr'])]);
    expect(r.xattrNamespace).toBe('user');
    expect(r.features).toMatchObject({ userxattr: true, redirectDir: 'nofollow', metacopy: false });
  });

  it('first layer: the upper is a bind mount, the lower nothing or a bind of an empty view', () => {
    expect(resolve([], [bind(4, false)])).toMatchObject({ upper: fs(4), lowers: [], upperKind: 'bind', xattrNamespace: 'trusted' });
    expect(resolve([bind(9)], [bind(4, false)])).toMatchObject({ upper: fs(4), lowers: [] });
    expect(resolve([], [bind(4)], { xattrNamespace: 'user' }).xattrNamespace).toBe('user');
    expect(resolve([], [bind(4)]).features).toBeUndefined();
  });

  it('committed snapshot: the view is a read-only overlay whose top lowerdir is the change', () => {
    expect(resolve([view([2, 1])], [view([3, 2, 1])])).toMatchObject({ upper: fs(3), lowers: [fs(2), fs(1)], upperKind: 'readonly-overlay' });
    expect(resolve([bind(1)], [view([3, 1])])).toMatchObject({ upper: fs(3), lowers: [fs(1)] });
  });

  it('accepts an empty lower for an overlay whose lowerdirs are empty directories', () => {
    expect(resolve([], [active(4, [9])]).lowers).toEqual([fs(9)]);
  });

  it('compares paths after normalising them', () => {
    const upper: Mount = {
      type: 'overlay',
      source: 'overlay',
      options: [`workdir=${work(4)}`, `upperdir=${fs(4)}/`, `lowerdir=${fs(2)}/:${root}/snapshots/x/../1/fs`],
    };
    expect(resolve([view([2, 1])], [upper]).lowers).toEqual([fs(2), fs(1)]);
  });

  it('reads options joined with commas as mount(2) would, and escaped paths', () => {
    const odd = join(root, 'a:b,c');
    mkdirSync(odd);
    const lowerdir = `lowerdir=${odd.replace(/[:,\\]/g, '\\$&')}:${fs(1)}`;
    const upper: Mount = { type: 'overlay', source: 'overlay', options: [`workdir=${work(4)},upperdir=${fs(4)}`, lowerdir] };
    const lower: Mount = { type: 'overlay', source: 'overlay', options: [lowerdir] };
    expect(resolve([lower], [upper]).lowers).toEqual([odd, fs(1)]);
  });

  it('reports data-only layers and features of the upper', () => {
    const upper: Mount = {
      type: 'overlay',
      source: 'overlay',
      options: [`workdir=${work(4)}`, `upperdir=${fs(4)}`, `lowerdir=${fs(1)}::${fs(9)}`, 'metacopy=on'],
    };
    expect(resolve([bind(1)], [upper])).toMatchObject({ dataLowers: [fs(9)], features: { metacopy: true, redirectDir: 'on' } });
  });
});

describe('resolveMounts: mismatches are clear errors', () => {
  it('refuses an upper whose lowerdirs are not the lower view', () => {
    expect(() => resolve([view([2, 1])], [active(4, [3, 2, 1])])).toThrow(
      `the upper mount's lowerdirs (${fs(3)}:${fs(2)}:${fs(1)}) are not the lower mount's view (${fs(2)}:${fs(1)})`,
    );
    expect(() => resolve([bind(2)], [active(4, [1])])).toThrow(/are not the lower mount's view/);
    expect(() => resolve([view([1, 2])], [active(4, [2, 1])])).toThrow(/are not the lower mount's view/);
  });

  it('refuses an empty lower when the lowerdirs have content', () => {
    expect(() => resolve([], [active(4, [2, 1])])).toThrow(/view \(none\): pass the parent snapshot's mounts/);
  });

  it('refuses a bind upper over a non-empty lower', () => {
    expect(() => resolve([bind(1)], [bind(4)])).toThrow(/bind mount \(a snapshot without parent\) but the lower mount's view/);
  });

  it('refuses a namespace that contradicts the mount', () => {
    expect(() => resolve([bind(1)], [active(4, [1], ['userxattr'])], { xattrNamespace: 'trusted' })).toThrow(
      /xattr namespace trusted contradicts the upper mount, which has userxattr/,
    );
    expect(() => resolve([bind(1)], [active(4, [1])], { xattrNamespace: 'user' })).toThrow(/lacks userxattr/);
    expect(() => resolve([view([2, 1])], [active(4, [2, 1], ['userxattr'])])).toThrow(/upper mount uses the user namespace but the lower mount uses trusted/);
  });

  it('refuses an upper of no mount or of several', () => {
    expect(() => resolve([], [])).toThrow('upper: expected exactly one mount, got 0');
    expect(() => resolve([], [bind(4), bind(3)])).toThrow('upper: expected exactly one mount, got 2');
  });

  it('refuses unsupported mounts with the field named', () => {
    expect(() => resolve([view([2, 1]), bind(1)], [active(4, [2, 1])])).toThrow('lower: expected at most one mount');
    expect(() => resolve([], [{ type: 'fuse3.fuse-overlayfs', source: 'overlay', options: [] }])).toThrow('upper[0].type: unsupported mount type');
    expect(() => resolve([], [{ ...bind(4), target: '/sub' }])).toThrow('upper[0].target: mounts on a subdirectory');
    expect(() => resolve([bind(1)], [active(4, [1], ['uidmap=0:100000:65536'])])).toThrow(/idmapped snapshots are not supported/);
    expect(() => resolve([bind(1)], [active(4, [1], ['rbind'])])).toThrow(/"rbind" makes no sense for an overlay/);
    expect(() => resolve([bind(1)], [active(4, [1], ['frob=1'])])).toThrow(/unknown overlay mount option "frob=1"/);
    expect(() => resolve([], [{ type: 'bind', source: '', options: ['rbind'] }])).toThrow('upper[0].source: a bind mount needs the directory');
  });

  it('accepts bind mounts spelled as type none with rbind, and ignores propagation flags', () => {
    expect(resolve([{ type: 'none', source: fs(1), options: ['rbind', 'ro'] }], [active(4, [1], ['rprivate'])]).lowers).toEqual([fs(1)]);
  });

  it('reads module defaults from the sysfs directory only when an overlay is involved', () => {
    const sysfs = join(root, 'params');
    mkdirSync(sysfs);
    writeFileSync(join(sysfs, 'index'), 'Y\n');
    expect(resolveMounts([bind(1)], [active(4, [1], [])], { sysfsDir: sysfs }).features?.index).toBe(true);
    writeFileSync(join(sysfs, 'index'), 'bogus\n');
    expect(resolveMounts([], [bind(4)], { sysfsDir: sysfs }).upper).toBe(fs(4));
  });
});

describe('an upper mount given without its parent', () => {
  it("takes the overlay's own lowerdirs as the base", () => {
    expect(resolveMounts(undefined, [active(4, [2, 1])]).lowers).toEqual([fs(2), fs(1)]);
    expect(resolveMounts(undefined, [bind(4)]).lowers).toEqual([]);
  });

  it('still checks an explicit empty parent against the lowerdirs', () => {
    expect(() => resolveMounts([], [active(4, [2, 1])])).toThrow(/not the lower mount's view/);
  });
});

describe('validateMounts and parseMountsDocument', () => {
  it('fills in fields protobuf JSON leaves out and accepts Go field names', () => {
    expect(validateMounts([{ type: 'bind', source: '/s' }], 'lower')).toEqual([{ type: 'bind', source: '/s', options: [] }]);
    expect(validateMounts([{ Type: 'overlay', Source: 'overlay', Target: '', Options: ['lowerdir=/a'] }], 'upper')).toEqual([
      { type: 'overlay', source: 'overlay', options: ['lowerdir=/a'] },
    ]);
    expect(validateMounts([{ type: 'bind', source: '/s', options: null }], 'lower')[0]?.options).toEqual([]);
  });

  it.each([
    [{ type: 'overlay' }, 'upper: expected an array of mounts, got object'],
    [['overlay'], 'upper[0]: expected a mount object, got "overlay"'],
    [[{ source: 'overlay' }], 'upper[0].type: expected a mount type'],
    [[{ type: 'overlay', options: 'lowerdir=/a' }], 'upper[0].options: expected an array of strings, got "lowerdir=/a"'],
    [[{ type: 'overlay', options: ['lowerdir=/a', 3] }], 'upper[0].options[1]: expected a string, got number'],
    [[{ type: 'overlay', source: 1 }], 'upper[0].source: expected a string, got number'],
    [[{ type: 'overlay', Type: 'bind' }], 'upper[0].Type: type is given twice'],
    [[{ type: 'overlay', opts: [] }], 'upper[0].opts: unknown field (a mount has type, source, target, options)'],
  ])('names the bad field in %j', (value, message) => {
    expect(() => validateMounts(value, 'upper')).toThrow(message);
  });

  it('reads {upper, lower} or a bare array meaning the upper', () => {
    expect(parseMountsDocument([bind(4)])).toEqual({ upper: [bind(4)], lower: undefined });
    expect(parseMountsDocument({ upper: [active(4, [1])], lower: [bind(1)] })).toEqual({ upper: [active(4, [1])], lower: [bind(1)] });
    expect(parseMountsDocument({ upper: [bind(4)] }).lower).toBeUndefined();
  });

  it.each([
    [{ lower: [] }, 'upper: missing'],
    [{ upper: [], parent: [] }, 'parent: unknown field (expected upper and lower)'],
    ['mounts', 'expected {"upper": [...], "lower": [...]} or an array of mounts, got "mounts"'],
    [{ upper: [], lower: {} }, 'lower: expected an array of mounts, got object'],
  ])('refuses %j', (value, message) => {
    expect(() => parseMountsDocument(value)).toThrow(message);
  });
});
