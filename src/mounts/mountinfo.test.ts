import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KCONFIG_DEFAULTS } from './module-defaults.js';
import { findOverlayMount, parseMountInfo, parseMountInfoLine, snapshotAtMountpoint, splitSuperOptions, unescapeMountInfo } from './mountinfo.js';

// Lines as Linux 6.18 prints them (captured on this machine, paths shortened).
const LEGACY = String.raw`67 43 0:39 / /t/m rw,relatime - overlay overlay rw,lowerdir=/t/l\0400:/t/l\134\0541:/t/l\134:2,upperdir=/t/u=x,workdir=/t/w,uuid=on`;
const APPENDED = String.raw`67 43 0:39 / /t/m rw,relatime - overlay overlay rw,lowerdir+=/t/l\0400,lowerdir+=/t/l:2,datadir+=/t/d\0541,upperdir=/t/u,workdir=/t/w,redirect_dir=on,uuid=on,metacopy=on`;
const USERXATTR = String.raw`66 43 0:39 / /t/m rw,relatime - overlay overlay rw,lowerdir=/t/a:/t/b,upperdir=/t/u,workdir=/t/w,redirect_dir=nofollow,uuid=on,userxattr`;

describe('unescapeMountInfo', () => {
  it('turns three-digit octal escapes back into characters', () => {
    expect(unescapeMountInfo(String.raw`/a\040b\011c\012d\134e\054f`)).toBe('/a b\tc\nd\\e,f');
  });
  it("undoes the kernel's seq_escape for every character it escapes", () => {
    const seqEscape = (s: string): string => s.replace(/[ \t\n\\,]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    for (const s of ['/a b', '/tab\there', '/nl\nx', '/back\\slash\\040', '/c,o,m,m,a', '/é ü']) expect(unescapeMountInfo(seqEscape(s))).toBe(s);
  });
  it('leaves a backslash that starts no escape', () => {
    expect(unescapeMountInfo(String.raw`/a\x\08`)).toBe(String.raw`/a\x\08`);
  });
});

describe('splitSuperOptions', () => {
  it('splits at raw commas and unescapes each option', () => {
    expect(splitSuperOptions(String.raw`rw,lowerdir=/a\054b:/c,upperdir=/u\040v`)).toEqual(['rw', 'lowerdir=/a,b:/c', 'upperdir=/u v']);
  });
  it('keeps a quoted security-module value whole', () => {
    expect(splitSuperOptions('rw,context="s0:c1,c2",lowerdir=/a')).toEqual(['rw', 'context="s0:c1,c2"', 'lowerdir=/a']);
  });
});

describe('parseMountInfoLine', () => {
  it('reads every field, unescaping paths', () => {
    const e = parseMountInfoLine(String.raw`36 35 98:0 /mnt\0401 /mnt\0402 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue`);
    expect(e).toEqual({
      mountId: 36,
      parentId: 35,
      device: '98:0',
      root: '/mnt 1',
      mountPoint: '/mnt 2',
      mountOptions: ['rw', 'noatime'],
      optionalFields: ['master:1', 'shared:2'],
      fsType: 'ext3',
      source: '/dev/root',
      superOptions: ['rw', 'errors=continue'],
    });
  });
  it("keeps the user's lowerdir escapes (the kernel shows the string it was given)", () => {
    expect(parseMountInfoLine(LEGACY).superOptions).toEqual(['rw', String.raw`lowerdir=/t/l 0:/t/l\,1:/t/l\:2`, 'upperdir=/t/u=x', 'workdir=/t/w', 'uuid=on']);
  });
  it('refuses a line without the proc(5) shape', () => {
    expect(() => parseMountInfoLine('36 35 98:0 / /mnt rw')).toThrow(/malformed mountinfo line/);
  });
});

describe('findOverlayMount', () => {
  const table = parseMountInfo(
    [
      '1 0 8:1 / / rw - ext4 /dev/sda1 rw',
      LEGACY,
      '70 67 0:40 / /t/m rw - tmpfs tmpfs rw',
      '71 1 0:39 /sub /t/bind rw - overlay overlay rw,lowerdir=/a,upperdir=/u,workdir=/w',
      USERXATTR.replace('/t/m', '/t/n'),
      '',
    ].join('\n'),
  );

  it('takes the mount on top (the last line for the mount point)', () => {
    expect(findOverlayMount(table, '/t/n').superOptions).toContain('userxattr');
    expect(() => findOverlayMount(table, '/t/m')).toThrow('/t/m: the filesystem mounted there is tmpfs, not overlay');
  });
  it('says so when nothing is mounted there', () => {
    expect(() => findOverlayMount(table, '/t/none')).toThrow(/not a mount point/);
  });
  it('refuses a bind mount of a directory inside an overlay', () => {
    expect(() => findOverlayMount(table, '/t/bind')).toThrow(/bind mount of \/sub inside an overlay/);
  });
});

describe('snapshotAtMountpoint', () => {
  let root: string;
  let mountinfo: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'overlaydiff-mountinfo-')));
    mkdirSync(join(root, 'm'));
    mountinfo = join(root, 'mountinfo');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const at = (line: string): string => {
    writeFileSync(mountinfo, `1 0 8:1 / / rw - ext4 /dev/sda1 rw\n${line.replace('/t/m', join(root, 'm'))}\n`);
    return join(root, 'm');
  };
  const snapshot = (dir: string) => snapshotAtMountpoint(dir, { mountinfoPath: mountinfo, moduleDefaults: KCONFIG_DEFAULTS });

  it('finds upperdir, lowerdirs and namespace of a legacy lowerdir= mount', () => {
    expect(snapshot(at(LEGACY))).toMatchObject({
      upperdir: '/t/u=x',
      lowers: ['/t/l 0', '/t/l,1', '/t/l:2'],
      dataLowers: [],
      xattrNamespace: 'trusted',
    });
  });
  it('finds layers of a new-mount-API mount shown as lowerdir+= and datadir+=', () => {
    expect(snapshot(at(APPENDED))).toMatchObject({
      upperdir: '/t/u',
      lowers: ['/t/l 0', '/t/l:2'],
      dataLowers: ['/t/d,1'],
      features: { metacopy: true, redirectDir: 'on' },
    });
  });
  it('reads userxattr as the user namespace, and the features the kernel forces', () => {
    expect(snapshot(at(USERXATTR))).toMatchObject({ xattrNamespace: 'user', features: { redirectDir: 'nofollow', metacopy: false } });
  });
  it('resolves the directory given through a symlink', () => {
    const dir = at(USERXATTR);
    const link = join(root, 'link');
    symlinkSync(dir, link);
    expect(snapshot(link).xattrNamespace).toBe('user');
  });
  it('refuses a read-only overlay and relative layer paths', () => {
    expect(() => snapshot(at('67 43 0:39 / /t/m rw - overlay overlay ro,lowerdir=/t/a:/t/b,redirect_dir=on'))).toThrow(
      /read-only overlay \(no upperdir\).*option `upper`: '\/t\/a'/,
    );
    expect(() => snapshot(at('67 43 0:39 / /t/m rw - overlay overlay rw,lowerdir=1/fs:2/fs,upperdir=/t/u,workdir=/t/w'))).toThrow(
      /relative layer path "1\/fs"/,
    );
  });
  it('names a missing mount point', () => {
    expect(() => snapshot(join(root, 'nope'))).toThrow(/cannot resolve the mount point/);
  });
});
