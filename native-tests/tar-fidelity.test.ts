// Tar fidelity on real overlay mounts: every file type, sockets, big ids, byte names, binary and
// empty xattrs and a 9 GiB sparse file survive diff → apply exactly as the tar format allows.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseDiffReport } from './harness/diff-report.js';
import { expectNoPrivateXattrs, expectSameTree, expectWellFormedWhiteouts, listTar, type ListedMember } from './harness/layer.js';
import { REPO, namespaceOf, type DiffResult, type Manifest } from './harness/overlay.js';
import { canRun, forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');

const scenario = useScenarios();

// Python tarfile, not our code, reads what the ListedMember lister leaves out: device numbers
// and the PAX records (values shown as text, non-UTF-8 bytes as \xNN).
const INSPECT = String.raw`
import json, sys, tarfile
def show(s):
    return s.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')
out = []
with tarfile.open(sys.argv[1], encoding='utf-8', errors='surrogateescape') as tf:
    for m in tf:
        out.append({'name': show(m.name) + ('/' if m.isdir() else ''), 'devmajor': m.devmajor, 'devminor': m.devminor,
                    'pax': {show(k): show(v) for k, v in m.pax_headers.items()}})
print(json.dumps(out))
`;

interface InspectedMember {
  name: string;
  devmajor: number;
  devminor: number;
  pax: Record<string, string>;
}

function inspectTar(path: string): Map<string, InspectedMember> {
  const members = JSON.parse(execFileSync('python3', ['-c', INSPECT, path], { encoding: 'utf8' })) as InspectedMember[];
  return new Map(members.map((m) => [m.name, m]));
}

function member(members: ListedMember[], name: string): ListedMember {
  const found = members.find((m) => m.name === name);
  if (found === undefined) throw new Error(`no member ${name} in ${members.map((m) => m.name).join(', ')}`);
  return found;
}

function succeeded(diff: DiffResult): NonNullable<DiffResult['descriptor']> {
  if (diff.code !== 0 || diff.descriptor === undefined) throw new Error(`overlaydiff failed (${diff.code}): ${diff.stderr}`);
  return diff.descriptor;
}

/** The merged manifest without what a layer cannot carry: one entry, or one xattr of an entry. */
function without(manifest: Manifest, path: string, xattr?: string): Manifest {
  const entries = structuredClone(manifest.entries);
  if (xattr === undefined) delete entries[path];
  else {
    const entry = entries[path];
    const xattrs = entry?.['xattrs'] as Record<string, string> | undefined;
    if (entry === undefined || xattrs === undefined || !(xattr in xattrs)) throw new Error(`merged ${path} has no ${xattr}`);
    delete xattrs[xattr];
    if (Object.keys(xattrs).length === 0) delete entry['xattrs'];
  }
  return { entries, hardlinks: manifest.hardlinks };
}

const hex = (bytes: Buffer | string): string => Buffer.from(bytes).toString('hex');

describe('every file type in one upper', () => {
  forModes(['trusted', 'user'] as const, '%s: dir, file, symlink, hardlink and fifo (plus devices as root) round-trip', (mode) => {
    const s = scenario(mode);
    s.prepare('mkdir $L0/d; echo old > $L0/d/replaced');
    // mknod needs real root: inside unshare -Urm the kernel refuses it.
    const devices = mode === 'trusted' ? 'mknod d/chr-big c 4095 1048575; mknod d/chr-null c 1 3; mknod d/blk b 8 1; chmod 0660 d/blk' : '';
    s.change(`
      mkdir -m 0750 d/sub
      echo data > d/sub/file; chmod 4755 d/sub/file
      ln -s sub/file d/link
      ln d/sub/file d/sub/hard
      mkfifo -m 0640 d/fifo
      rm d/replaced; ln -s /nonexistent d/replaced
      ${devices}
    `);
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    const members = listTar(diff.layer);
    expectWellFormedWhiteouts(members);
    const types = Object.fromEntries(members.map((m) => [m.name, m.type]));
    expect(types).toMatchObject({
      'd/': 'dir',
      'd/fifo': 'fifo',
      'd/link': 'symlink',
      'd/replaced': 'symlink',
      'd/sub/': 'dir',
      'd/sub/file': 'file',
      'd/sub/hard': 'hardlink',
    });
    expect(member(members, 'd/sub/hard').linkname).toBe('d/sub/file');
    expect(member(members, 'd/sub/file').mode).toBe(0o4755);
    expect(member(members, 'd/fifo').mode).toBe(0o640);
    if (mode === 'trusted') {
      const inspected = inspectTar(diff.layer);
      expect(types).toMatchObject({ 'd/chr-big': 'char', 'd/chr-null': 'char', 'd/blk': 'block' });
      expect(inspected.get('d/chr-big')).toMatchObject({ devmajor: 4095, devminor: 1048575 });
      expect(inspected.get('d/chr-null')).toMatchObject({ devmajor: 1, devminor: 3 });
      expect(inspected.get('d/blk')).toMatchObject({ devmajor: 8, devminor: 1 });
      expect(merged.entries['d/chr-big']).toMatchObject({ type: 'char', rdev: [4095, 1048575] });
    }
  });
});

const bindSocket = (path: string): string => `python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' ${path}`;

describe('sockets', () => {
  forModes(['trusted', 'user'] as const, '%s: a socket replacing a lower file leaves its whiteout and no member', (mode) => {
    const s = scenario(mode);
    s.prepare('echo lower > $L0/f; echo keep > $L0/g');
    s.change(`rm f; ${bindSocket('f')}; echo changed > g`);
    const { merged, applied, diff } = s.roundTrip();
    expect(merged.entries['f']).toMatchObject({ type: 'socket' });
    const members = listTar(diff.layer);
    expect(members.map((m) => [m.name, m.type])).toEqual([
      ['.wh.f', 'file'],
      ['g', 'file'],
    ]);
    expectWellFormedWhiteouts(members);
    expect(succeeded(diff).stats['socketsSkipped']).toBe(1);
    // The merged view shows a socket that no layer can carry; everything else is equal.
    expect(applied.entries['f']).toBeUndefined();
    expectSameTree(without(merged, 'f'), applied);
  });

  forModes(['trusted', 'user'] as const, '%s: a new socket that hides nothing leaves neither whiteout nor member', (mode) => {
    const s = scenario(mode);
    s.change(`mkdir run; ${bindSocket('run/sock')}`);
    const { merged, applied, diff } = s.roundTrip();
    expect(listTar(diff.layer).map((m) => m.name)).toEqual(['run/']);
    expect(succeeded(diff).stats['socketsSkipped']).toBe(1);
    expectSameTree(without(merged, 'run/sock'), applied);
  });
});

describe('ids beyond the ustar fields', () => {
  it.runIf(canRun('trusted'))('uid/gid 3000000/3000001 travel as PAX records and round-trip', () => {
    const s = scenario('trusted');
    s.change('echo x > big; chown 3000000:3000001 big; ln -s big biglink; chown -h 3000001:3000000 biglink; mkdir bigdir; chown 4000000:0 bigdir');
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    expect(merged.entries['big']).toMatchObject({ uid: 3_000_000, gid: 3_000_001 });
    const listed = listTar(diff.layer);
    expect(member(listed, 'big')).toMatchObject({ uid: 3_000_000, gid: 3_000_001 });
    expect(member(listed, 'biglink')).toMatchObject({ uid: 3_000_001, gid: 3_000_000 });
    expect(member(listed, 'bigdir/')).toMatchObject({ uid: 4_000_000, gid: 0 });
    const inspected = inspectTar(diff.layer);
    expect(inspected.get('big')?.pax).toEqual({ uid: '3000000', gid: '3000001' });
    expect(inspected.get('biglink')?.pax).toEqual({ uid: '3000001', gid: '3000000' });
    expect(inspected.get('bigdir/')?.pax).toEqual({ uid: '4000000' }); // gid 0 fits the ustar field
  });
});

describe('names and link targets as bytes', () => {
  const d100 = 'd'.repeat(100);
  const f150 = 'f'.repeat(150);
  const deepFile = `${d100}/${d100}/${d100}/${f150}`; // 453 bytes
  const t300 = `../${'t'.repeat(297)}`;

  forModes(['trusted', 'user'] as const, '%s: non-ASCII, non-UTF-8 and long names and targets, and a hardlink to a long name', (mode) => {
    const s = scenario(mode);
    s.prepare(`echo lower > "$L0/$(printf 'old-\\377')"`);
    s.change(`
      touch 'café-日本'
      echo raw > "$(printf 'raw-\\377\\376')"
      mkdir "$(printf 'dir-\\300')" && echo c > "$(printf 'dir-\\300')/child"
      ln -s 'café/日本' utf8-link
      ln -s "$(printf 'x\\377y')" bad-link
      ln -s '${t300}' long-link
      mkdir -p '${d100}/${d100}/${d100}' && echo deep > '${deepFile}'
      ln '${deepFile}' hl-to-long
      ln 'café-日本' "$(printf 'hl-\\351')"
      rm "$(printf 'old-\\377')"
    `);
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    const members = listTar(diff.layer);
    const names = members.map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining(['café-日本', 'raw-\\xff\\xfe', 'dir-\\xc0/', 'dir-\\xc0/child', '.wh.old-\\xff', deepFile, `${d100}/${d100}/${d100}/`]),
    );
    expect(member(members, 'utf8-link')).toMatchObject({ type: 'symlink', linkname: 'café/日本' });
    expect(member(members, 'bad-link')).toMatchObject({ type: 'symlink', linkname: 'x\\xffy' });
    expect(member(members, 'long-link')).toMatchObject({ type: 'symlink', linkname: t300 });
    // Canonical order puts 'ddd…' before 'hl-to-long': the long name carries the data, the link points at it.
    expect(member(members, deepFile)).toMatchObject({ type: 'file', size: 5 });
    expect(member(members, 'hl-to-long')).toMatchObject({ type: 'hardlink', linkname: deepFile });
    expect(member(members, 'hl-\\xe9')).toMatchObject({ type: 'hardlink', linkname: 'café-日本' });
    expect(merged.hardlinks).toEqual(expect.arrayContaining([[deepFile, 'hl-to-long'].sort()]));
    // Raw bytes, not a lossy decode: Python flags the non-UTF-8 names as binary PAX headers.
    const inspected = inspectTar(diff.layer);
    expect(inspected.get('raw-\\xff\\xfe')?.pax).toMatchObject({ hdrcharset: 'BINARY', path: 'raw-\\xff\\xfe' });
    expect(inspected.get('bad-link')?.pax).toMatchObject({ hdrcharset: 'BINARY', linkpath: 'x\\xffy' });
    expect(inspected.get(deepFile)?.pax).toMatchObject({ path: deepFile });
  });
});

describe('xattr values', () => {
  // NUL and newline in the middle and at the end, every byte value, and a value longer than a PAX line usually is.
  const binary = Buffer.from([0x00, 0x61, 0x0a, 0x62, 0x00, 0xff, 0x0a]);
  const everyByte = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
  const setxattr = (path: string, name: string, value: Buffer): string =>
    `python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))' '${path}' ${name} '${value.toString('hex')}'`;

  forModes(['trusted', 'user'] as const, '%s: values with NUL and newline bytes survive byte for byte', (mode) => {
    const s = scenario(mode);
    s.prepare('echo lower > $L0/copied');
    s.change(`
      echo new > x; mkdir xd
      ${setxattr('x', 'user.bin', binary)}
      ${setxattr('x', 'user.all', everyByte)}
      ${setxattr('xd', 'user.bin', binary)}
      ${setxattr('copied', 'user.nl', Buffer.from('\n'))}
    `);
    const { merged, applied, diff } = s.roundTrip();
    const members = listTar(diff.layer);
    expectNoPrivateXattrs(members);
    expect(member(members, 'x').xattrs).toEqual({ 'user.all': hex(everyByte), 'user.bin': hex(binary) });
    expect(member(members, 'xd/').xattrs).toEqual({ 'user.bin': hex(binary) });
    expect(member(members, 'copied').xattrs).toEqual({ 'user.nl': '0a' });
    expect(merged.entries['x']?.['xattrs']).toEqual({ 'user.all': hex(everyByte), 'user.bin': hex(binary) });
    expectSameTree(merged, applied);
  });

  forModes(['trusted', 'user'] as const, '%s: an empty value is left out of the layer and counted', (mode) => {
    const s = scenario(mode);
    s.change(`echo e > e; ${setxattr('e', 'user.empty', Buffer.alloc(0))}; ${setxattr('e', 'user.kept', Buffer.from('v'))}`);
    const { merged, applied, diff } = s.roundTrip();
    expect(merged.entries['e']?.['xattrs']).toEqual({ 'user.empty': '', 'user.kept': hex('v') });
    expect(member(listTar(diff.layer), 'e').xattrs).toEqual({ 'user.kept': hex('v') });
    expect(succeeded(diff).stats['emptyXattrsDropped']).toBe(1);
    expectSameTree(without(merged, 'e', 'user.empty'), applied);
  });
});

// ---- 9 GiB sparse file: streamed, hashed, never stored whole --------------------------------

const GIB = 1024 ** 3;
const SPARSE_SIZE = 9 * GIB; // beyond the 8 GiB a ustar size field holds
const KEEP = 1024 * 1024; // bytes kept from each end of the stream
const MAX_RSS = 150 * 1024 * 1024;
const ZEROS = Buffer.alloc(KEEP);

// Runs the CLI as its child with stdout on a FIFO, and reports the CLI's peak RSS:
// getrusage(RUSAGE_CHILDREN) needs no /usr/bin/time. A FIFO (unlike Node's stdio socketpair) takes
// a 1 MiB buffer, so the reader gets 1 MiB chunks (measured with a hole-only 9 GiB file: 14 s
// instead of 20-28 s). The CLI's stderr holds the descriptor (the layer goes to stdout).
const RSS_WRAPPER = String.raw`
import fcntl, json, resource, subprocess, sys
with open(sys.argv[2], 'wb', buffering=0) as layer:
    try:
        fcntl.fcntl(layer.fileno(), 1031, 1 << 20)  # F_SETPIPE_SZ; only speed depends on it
    except OSError:
        pass
    p = subprocess.run(sys.argv[3:], stdout=layer, stderr=subprocess.PIPE)
with open(sys.argv[1], 'w') as f:
    json.dump({'code': p.returncode, 'stderr': p.stderr.decode('utf-8', 'replace'),
               'maxRssKiB': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, f)
`;

// Reads a member's size, PAX records and the bytes at both ends of its data with Python tarfile.
const READ_ENDS = String.raw`
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as tf:
    out = []
    for m in tf:
        f = tf.extractfile(m) if m.isreg() else None
        head = f.read(16).hex() if f else None
        if f:
            f.seek(m.size - 16)
        out.append({'name': m.name, 'type': m.type.decode(), 'size': m.size, 'pax': dict(m.pax_headers),
                    'head': head, 'tail': f.read(16).hex() if f else None, 'end': f.read(1).hex() if f else None})
print(json.dumps(out))
`;

interface StreamSummary {
  sha256: string;
  size: number;
  head: Buffer;
  tail: Buffer;
  /** Offsets of chunks outside the first KEEP bytes that hold a non-zero byte (first 64 only). */
  nonZeroAt: number[];
}

function isAllZero(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i += KEEP) {
    const part = bytes.subarray(i, i + KEEP);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

// Hashes a stream and keeps its first and last KEEP bytes, noting where else it is not zero.
async function summarise(stream: Readable): Promise<StreamSummary> {
  const hash = createHash('sha256');
  const head = Buffer.alloc(KEEP);
  let headLength = 0;
  const recent: Buffer[] = [];
  let recentLength = 0;
  const nonZeroAt: number[] = [];
  let offset = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    const fromHead = Math.min(KEEP - headLength, chunk.length);
    chunk.copy(head, headLength, 0, fromHead);
    headLength += fromHead;
    if (fromHead < chunk.length && !isAllZero(chunk.subarray(fromHead)) && nonZeroAt.length < 64) nonZeroAt.push(offset + fromHead);
    recent.push(chunk);
    recentLength += chunk.length;
    while (recentLength - recent[0]!.length >= KEEP) recentLength -= recent.shift()!.length;
    offset += chunk.length;
  }
  return { sha256: hash.digest('hex'), size: offset, head: head.subarray(0, headLength), tail: Buffer.concat(recent).subarray(-KEEP), nonZeroAt };
}

function releaseFifoReader(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
  }
}

describe('a 9 GiB sparse file', () => {
  it.runIf(canRun('trusted'))(
    'streams as one member with a PAX size, the right bytes at both ends, the diffID of the stream, in bounded memory',
    async () => {
      const s = scenario('trusted');
      s.change(`
        truncate -s ${SPARSE_SIZE} big
        printf 'HEAD-of-the-file' | dd of=big conv=notrunc status=none
        printf 'TAIL-of-the-file' | dd of=big bs=1 seek=${SPARSE_SIZE - 16} conv=notrunc status=none
      `);
      const report = join(s.root, 'rss.json');
      const fifo = join(s.root, 'layer.fifo');
      execFileSync('mkfifo', [fifo]);
      const args = [CLI, 'diff', '--upper', s.upper, '--lower', s.lowers.join(':'), '--xattr-namespace', namespaceOf(s.mode), '-o', '-', '--json'];
      const child = spawn('python3', ['-c', RSS_WRAPPER, report, fifo, process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let wrapperErrors = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => (wrapperErrors += text));
      const exited = new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
      // If the wrapper dies before opening the FIFO, our reader would wait in open() forever:
      // opening and closing a writer releases it (ENXIO: the reader has already gone).
      void exited.finally(() => releaseFifoReader(fifo));
      const stream = await summarise(createReadStream(fifo, { highWaterMark: KEEP }));
      expect(await exited, wrapperErrors).toBe(0);
      const run = JSON.parse(readFileSync(report, 'utf8')) as { code: number; stderr: string; maxRssKiB: number };
      expect(run.code, run.stderr).toBe(0);
      const descriptor = parseDiffReport(run.stderr);

      // The diffID and digest are the sha256 of exactly the bytes written.
      expect(descriptor.diffID).toBe(`sha256:${stream.sha256}`);
      expect(descriptor.digest).toBe(descriptor.diffID);
      expect(descriptor.size).toBe(stream.size);
      expect(descriptor.stats).toMatchObject({ entries: 1, bytes: SPARSE_SIZE });
      expect(run.maxRssKiB * 1024).toBeLessThan(MAX_RSS);

      // Everything between the kept ends is zero, so a sparse file with just the two ends is the
      // stream byte for byte; Python's tarfile reads it back from there.
      expect(
        stream.nonZeroAt.every((at) => at >= stream.size - KEEP),
        `non-zero data at ${stream.nonZeroAt.join(', ')}`,
      ).toBe(true);
      const copy = join(s.root, 'layer-ends.tar');
      const fd = openSync(copy, 'w');
      try {
        writeSync(fd, stream.head, 0, stream.head.length, 0);
        writeSync(fd, stream.tail, 0, stream.tail.length, stream.size - stream.tail.length);
        ftruncateSync(fd, stream.size);
      } finally {
        closeSync(fd);
      }
      const members = JSON.parse(execFileSync('python3', ['-c', READ_ENDS, copy], { encoding: 'utf8' })) as unknown[];
      expect(members).toEqual([
        {
          name: 'big',
          type: '0',
          size: SPARSE_SIZE,
          pax: { size: String(SPARSE_SIZE) },
          head: hex('HEAD-of-the-file'),
          tail: hex('TAIL-of-the-file'),
          end: '',
        },
      ]);
    },
    600_000,
  );
});
