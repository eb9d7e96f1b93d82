import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCompressor } from '../blob/compress.js';
import { TAR_BLOCK_SIZE, encodeEntryHeaders, endOfArchive, paddingLength } from '../tar/header.js';
import type { TarEntry, TarEntryType } from '../types.js';
import { compareCanonical } from '../canonical-order.js';
import { classifyMember } from './classify-member.js';
import { LINT_RULES, inspectLayer, type InspectEntry, type LintRule } from './inspect.js';

let root: string;
let lower: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-inspect-'));
  lower = join(root, 'lower');
  mkdirSync(join(lower, 'a'), { recursive: true });
  writeFileSync(join(lower, 'b'), 'b');
  writeFileSync(join(lower, 'notdir'), '');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

interface Member {
  path: string;
  type?: TarEntryType;
  data?: string;
  xattrs?: Record<string, string>;
  dev?: [number, number];
  /** Names of xattrs written as empty `SCHILY.xattr.*` records (a PAX header built by hand). */
  emptyXattrs?: string[];
}

function entry(m: Member): TarEntry {
  const data = Buffer.from(m.data ?? '');
  return {
    path: Buffer.from(m.path),
    type: m.type ?? 'file',
    mode: m.type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    mtime: 0n,
    size: (m.type ?? 'file') === 'file' ? BigInt(data.length) : 0n,
    devMajor: m.dev?.[0] ?? 0,
    devMinor: m.dev?.[1] ?? 0,
    xattrs: Object.entries(m.xattrs ?? {}).map(([name, value]) => ({ name: Buffer.from(name), value: Buffer.from(value) })),
  };
}

// A PAX 'x' member: encodeEntryHeaders refuses empty xattr values, so build its ustar block from a
// plain one with the typeflag and checksum patched.
function paxMember(records: Buffer): Buffer {
  const header = Buffer.from(encodeEntryHeaders({ ...entry({ path: 'PaxHeader' }), size: BigInt(records.length) }));
  header[156] = 'x'.charCodeAt(0);
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([header, records, Buffer.alloc(paddingLength(BigInt(records.length)))]);
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.from(`${length}${body}`);
}

function tar(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    if (m.emptyXattrs !== undefined) parts.push(paxMember(Buffer.concat(m.emptyXattrs.map((n) => paxRecord(`SCHILY.xattr.${n}`, '')))));
    parts.push(encodeEntryHeaders(entry(m)));
    const data = Buffer.from(m.data ?? '');
    parts.push(data, Buffer.alloc(paddingLength(BigInt(data.length))));
  }
  parts.push(endOfArchive());
  const out = Buffer.concat(parts);
  expect(out.length % TAR_BLOCK_SIZE).toBe(0);
  return out;
}

function write(name: string, bytes: Buffer): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

const CLEAN: Member[] = [
  { path: 'a', type: 'dir' },
  { path: 'a/.wh..wh..opq' },
  { path: 'a/f', data: 'hello', xattrs: { 'user.note': 'x' } },
  { path: 'a/g', type: 'symlink' },
  { path: '.wh.b' },
  { path: 'c', type: 'dir' },
  { path: 'c/d', type: 'fifo' },
];

function cleanTar(): Buffer {
  const parts: Buffer[] = [];
  for (const m of CLEAN) {
    const e = entry(m);
    const withLink = m.type === 'symlink' ? { ...e, linkTarget: Buffer.from('f') } : e;
    parts.push(encodeEntryHeaders(withLink));
    const data = Buffer.from(m.data ?? '');
    parts.push(data, Buffer.alloc(paddingLength(BigInt(data.length))));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

describe('classifyMember', () => {
  it('puts a whiteout in its target name’s place and an opaque marker right after its dir', () => {
    const key = (path: string, type: TarEntryType = 'file'): Buffer => classifyMember({ path: Buffer.from(path), type, devMajor: 0, devMinor: 0 }).position.key;
    expect(compareCanonical(key('a', 'dir'), key('a/.wh..wh..opq'))).toBeLessThan(0);
    expect(compareCanonical(key('a/.wh..wh..opq'), key('a/!'))).toBeLessThan(0);
    expect(compareCanonical(key('a/.wh.b'), key('a/c'))).toBeLessThan(0);
    expect(compareCanonical(key('a/.wh.z'), key('a/c'))).toBeGreaterThan(0);
    // Depth first: a's subtree before a-b, though '/' > '-' in bytes.
    expect(compareCanonical(key('a/z'), key('a-b'))).toBeLessThan(0);
    expect(classifyMember({ path: Buffer.from('x/.wh.y'), type: 'file', devMajor: 0, devMinor: 0 })).toMatchObject({
      kind: 'whiteout',
      target: Buffer.from('x/y'),
    });
    expect(classifyMember({ path: Buffer.from('x/c'), type: 'char', devMajor: 0, devMinor: 0 }).kind).toBe('char-whiteout');
    // Read as an applier reads the name: '.', empty components and a leading '/' do not count.
    expect(classifyMember({ path: Buffer.from('/./x//.wh.y'), type: 'file', devMajor: 0, devMinor: 0 })).toMatchObject({
      path: Buffer.from('x/.wh.y'),
      target: Buffer.from('x/y'),
      position: { key: Buffer.from('x/y'), marker: 'whiteout' },
    });
  });
});

describe('inspectLayer', () => {
  it('lists members with their classification, and a canonical layer lints clean', async () => {
    const layer = write('clean.tar', cleanTar());
    const entries: InspectEntry[] = [];
    const result = await inspectLayer({ layer, lint: true, lowers: [lower], onEntry: (e) => entries.push(e) });
    expect(result.findings).toEqual([]);
    expect(result.entries).toBe(7);
    expect(result.compression).toBe('none');
    expect(entries.map((e) => [e.path.toString(), e.type, e.kind])).toEqual([
      ['a', 'dir', 'entry'],
      ['a/.wh..wh..opq', 'file', 'opaque'],
      ['a/f', 'file', 'entry'],
      ['a/g', 'symlink', 'entry'],
      ['.wh.b', 'file', 'whiteout'],
      ['c', 'dir', 'entry'],
      ['c/d', 'fifo', 'entry'],
    ]);
    expect(entries[2]).toMatchObject({ size: 5n, mode: 0o644, xattrs: [Buffer.from('user.note')] });
    expect(entries[4]?.target).toEqual(Buffer.from('b'));
  });

  it.each(['gzip', 'zstd'] as const)('reads a %s layer with the same diffID', async (compression) => {
    const raw = cleanTar();
    const compressor = createCompressor(compression);
    const blob =
      compression === 'gzip'
        ? gzipSync(raw)
        : await new Promise<Buffer>((resolve, reject) => {
            const parts: Buffer[] = [];
            compressor
              ?.on('data', (c: Buffer) => parts.push(c))
              .on('end', () => resolve(Buffer.concat(parts)))
              .on('error', reject);
            compressor?.end(raw);
          });
    const plain = await inspectLayer({ layer: write('p.tar', raw) });
    const packed = await inspectLayer({ layer: write('c.blob', blob), lint: true });
    expect(packed).toMatchObject({ compression, diffID: plain.diffID, entries: 7, findings: [] });
  });

  it('flags every rule in a hand-made bad layer', async () => {
    const layer = write(
      'bad.tar',
      tar([
        { path: 'a', type: 'dir' },
        { path: 'a/f', xattrs: { 'trusted.overlay.origin': 'x', 'user.ok': 'y' } }, // private-xattr
        { path: 'a/h', emptyXattrs: ['user.empty'] }, // empty-xattr
        { path: 'cw', type: 'char', dev: [0, 0] }, // char-device-whiteout
        { path: 'dup' },
        { path: 'dup' }, // duplicate
        { path: 'n', type: 'dir' },
        { path: 'n/.wh..wh..opq' }, // opaque-no-lower
        { path: 'notdir2', type: 'dir' },
        { path: 'p/q' }, // child-before-parent (reported at p)
        { path: 'p', type: 'dir' }, // and non-canonical-order
        { path: 'x' },
        { path: '.wh.zzz' }, // whiteout-absent
      ]),
    );
    const result = await inspectLayer({ layer, lint: true, lowers: [lower] });
    const byRule = new Map<LintRule, string[]>();
    for (const f of result.findings) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f.path.toString()]);
    expect([...byRule.keys()].sort()).toEqual([...LINT_RULES].sort());
    expect(byRule.get('private-xattr')).toEqual(['a/f']);
    expect(byRule.get('empty-xattr')).toEqual(['a/h']);
    expect(byRule.get('char-device-whiteout')).toEqual(['cw']);
    expect(byRule.get('duplicate')).toEqual(['dup']);
    expect(byRule.get('opaque-no-lower')).toEqual(['n/.wh..wh..opq']);
    expect(byRule.get('child-before-parent')).toEqual(['p']);
    expect(byRule.get('non-canonical-order')).toEqual(['p']);
    expect(byRule.get('whiteout-absent')).toEqual(['.wh.zzz']);
    expect(result.findings.find((f) => f.rule === 'empty-xattr')?.message).toMatch(/user\.empty/);
  });

  it('checks the lowers only when given', async () => {
    const layer = write('wh.tar', tar([{ path: 'n', type: 'dir' }, { path: 'n/.wh..wh..opq' }, { path: '.wh.zzz' }]));
    expect((await inspectLayer({ layer, lint: true })).findings).toEqual([]);
    const rules = (await inspectLayer({ layer, lint: true, lowers: [lower] })).findings.map((f) => f.rule);
    expect(rules).toEqual(['opaque-no-lower', 'whiteout-absent']);
  });

  it('flags a whiteout after the entry of its own name, and an opaque marker on a lower non-directory', async () => {
    const layer = write('same.tar', tar([{ path: 'b' }, { path: '.wh.b' }, { path: 'notdir', type: 'dir' }, { path: 'notdir/.wh..wh..opq' }]));
    const findings = (await inspectLayer({ layer, lint: true, lowers: [lower] })).findings;
    expect(findings.map((f) => [f.rule, f.path.toString()])).toEqual([
      ['duplicate', '.wh.b'],
      ['opaque-no-lower', 'notdir/.wh..wh..opq'],
    ]);
  });

  it('lints clean a whiteout just before the entry of its name, as diff writes a recreated directory', async () => {
    const layer = write('recreated.tar', tar([{ path: '.wh.b' }, { path: 'b', type: 'dir' }, { path: 'b/new' }]));
    expect((await inspectLayer({ layer, lint: true, lowers: [lower] })).findings).toEqual([]);
  });

  it('keeps the empty-xattr scan in step across file data', async () => {
    const big = 'z'.repeat(70_000);
    const layer = write(
      'big.tar',
      tar([
        { path: 'a', type: 'dir' },
        { path: 'a/big', data: big },
        { path: 'a/e', emptyXattrs: ['user.e'] },
      ]),
    );
    const result = await inspectLayer({ layer, lint: true });
    expect(result.findings.map((f) => [f.rule, f.path.toString()])).toEqual([['empty-xattr', 'a/e']]);
  });

  it('refuses a file that is not a layer', async () => {
    await expect(inspectLayer({ layer: write('junk', Buffer.from('not a tar at all'.repeat(64))) })).rejects.toMatchObject({ code: 'E_BAD_ARCHIVE' });
  });

  it('refuses a lowerdir that is not a directory with E_NOT_DIRECTORY, the code diff gives', async () => {
    const layer = write('ok.tar', tar([{ path: 'a', data: 'a' }]));
    const notDir = write('plain-file', Buffer.from('x'));
    await expect(inspectLayer({ layer, lint: true, lowers: [notDir], xattrNamespace: 'user' })).rejects.toMatchObject({
      code: 'E_NOT_DIRECTORY',
      message: `${notDir}: lowerdir is not a directory`,
    });
  });
});
