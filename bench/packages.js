#!/usr/bin/env node
// Re-measures the package facts behind overlaydiff's dependency choices (ARCHITECTURE.md D8–D11b)
// on this machine and prints a short report. Run as root: `node bench/packages.js`.
//
// The packages under test are NOT project dependencies. Install them into a scratch directory outside
// the repo first, and point PKGBENCH_DIR at it (default /tmp/pkgbench):
//
//   npm install --prefix /tmp/pkgbench fs-xattr@0.4.0 tar-stream@3 fast-glob@3
//
// A measurement whose package is missing there is skipped (and says so). The project's own addon is
// loaded from build/Release/overlaydiff.node (`make build`, or `npx node-gyp rebuild`). Python 3 and GNU tar
// are used as independent tar readers when present. Every file it makes lives in one temp dir that is
// removed at the end. It asserts nothing: it reports what it sees.
//
// Environment: PKGBENCH_DIR (see above), PKGBENCH_FILES (xattr files, default 10000),
// PKGBENCH_WALK (entries of the walk tree, default 100000), PKGBENCH_RUNS (timed passes, default 5).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PKG_DIR = resolve(process.env.PKGBENCH_DIR ?? '/tmp/pkgbench');
const XATTR_FILES = Number(process.env.PKGBENCH_FILES ?? '10000');
const WALK_ENTRIES = Number(process.env.PKGBENCH_WALK ?? '100000');
const RUNS = Number(process.env.PKGBENCH_RUNS ?? '5');
// O_PATH is not in fs.constants; its value is the asm-generic one on x86_64 and arm64.
const O_PATH = ['x64', 'arm64'].includes(process.arch) ? 0o10000000 : undefined;
const require = createRequire(import.meta.url);

// The measured packages are not dependencies: the shapes of what this script calls, nothing more.
/** @typedef {{ listAttributesSync(path: string | Buffer): string[]; getAttributeSync(path: string | Buffer, name: string): Buffer; setAttributeSync(path: string | Buffer, name: string, value: Buffer): void }} FsXattr */
/** @typedef {{ list(path: Buffer): Buffer; get(path: Buffer, name: Buffer): Buffer; set(path: Buffer, name: Buffer, value: Buffer): void }} XattrAddon */
/** @typedef {{ write?: unknown; constructor?: { name?: string } } | boolean | undefined} EntryReturn */
/** @typedef {{ on(event: string, fn: (arg: Buffer) => void): void; entry(header: Record<string, unknown>, body: string): EntryReturn; finalize(): void; destroy(): void }} TarPack */
/** @typedef {{ pack(): TarPack }} TarStream */
/** @typedef {{ path: string; stats?: unknown } | string} GlobEntry */
/** @typedef {((pattern: string, options: Record<string, unknown>) => Promise<GlobEntry[]>) & { sync(pattern: string, options: Record<string, unknown>): GlobEntry[] }} FastGlob */
/** @typedef {{ best: number; median: number }} Timing */

const work = mkdtempSync(join(os.tmpdir(), 'overlaydiff-pkgbench-'));
let failed = false;
// Also on a crash that skips the finally below (an exception thrown from a package's nextTick).
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  header();
  const fsx = /** @type {FsXattr | undefined} */ (await loadPackage('fs-xattr'));
  const addon = loadAddon();
  await section('1. xattrs', () => xattrFacts(fsx, addon));
  await section('2. tar-stream', async () => tarStreamFacts(/** @type {TarStream | undefined} */ (await loadPackage('tar-stream')), addon));
  await section('3. fast-glob', async () => fastGlobFacts(/** @type {FastGlob | undefined} */ (await loadPackage('fast-glob'))));
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

// ---------------------------------------------------------------------------------------------

function header() {
  console.log(`overlaydiff package facts — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Linux ${os.release()}, node ${process.version}, ` + `scratch ${work} (${fsType(work)})`,
  );
  const versions = ['fs-xattr', 'tar-stream', 'fast-glob'].map((name) => `${name} ${packageVersion(name) ?? 'MISSING'}`);
  console.log(`packages from ${PKG_DIR}: ${versions.join(', ')}`);
  console.log(`timings: best and median of ${RUNS} passes after one warm-up pass (warm page cache)`);
}

/** @param {string} title @param {() => Promise<void> | void} fn */
async function section(title, fn) {
  console.log(`\n## ${title}`);
  try {
    await fn();
  } catch (err) {
    failed = true;
    console.log(`  FAILED: ${err instanceof Error ? err.stack : String(err)}`);
  }
}

/** @param {string} name @returns {string | undefined} */
function packageVersion(name) {
  const file = join(PKG_DIR, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

/**
 * @param {string} name
 * @returns {Promise<unknown>} the package's exports (the callers name their shape with the typedefs above)
 */
async function loadPackage(name) {
  const dir = join(PKG_DIR, 'node_modules', name);
  if (!existsSync(dir)) return undefined;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  // fs-xattr is ESM-only ("exports": "./index.js"); tar-stream and fast-glob are CommonJS.
  const entry = typeof pkg.exports === 'string' ? pkg.exports : (pkg.main ?? 'index.js');
  const mod = await import(pathToFileURL(join(dir, entry)).href);
  return pkg.type === 'module' ? mod : mod.default;
}

/** @returns {XattrAddon | undefined} */
function loadAddon() {
  const file = join(REPO, 'build', 'Release', 'overlaydiff.node');
  return existsSync(file) ? /** @type {XattrAddon} */ (require(file)) : undefined;
}

/** @param {string} message */
function say(message) {
  console.log(`  ${message}`);
}

/** @param {string} what @param {string} why */
function skip(what, why) {
  say(`${what}: SKIPPED (${why})`);
}

/**
 * Runs fn once to warm up, then RUNS times; returns {best, median} seconds.
 * @param {() => unknown} fn
 * @returns {Timing}
 */
function time(fn) {
  fn();
  const secs = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    fn();
    secs.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  secs.sort((a, b) => a - b);
  return { best: secs[0] ?? NaN, median: secs[Math.floor((secs.length - 1) / 2)] ?? NaN };
}

/** @param {Timing} timing @param {number} n */
function perFile({ best, median }, n) {
  return `${((best / n) * 1e6).toFixed(2)} / ${((median / n) * 1e6).toFixed(2)}`;
}

/** @param {() => unknown} fn */
function outcome(fn) {
  try {
    const value = fn();
    return Buffer.isBuffer(value) ? `returns ${show(value)}` : `returns ${JSON.stringify(value)}`;
  } catch (err) {
    return `throws ${errorText(err)}`;
  }
}

/** `CODE: message` of a thrown value. @param {unknown} err */
function errorText(err) {
  const e = /** @type {{ code?: unknown; name?: unknown; message?: unknown } | null | undefined} */ (err);
  return `${String(e?.code ?? e?.name)}: ${String(e?.message)}`;
}

/** @param {Buffer} buf */
function show(buf) {
  return `<${buf.toString('hex').match(/../g)?.join(' ') ?? ''}> ${JSON.stringify(buf.toString('latin1'))}`;
}

/** @param {string} dir */
function fsType(dir) {
  const r = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', dir], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

/** @param {string} cmd */
function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

// ---------------------------------------------------------------------------------------------
// 1. xattrs: per-file cost of list + get of every xattr, and symlink semantics.

/** @param {FsXattr | undefined} fsx @param {XattrAddon | undefined} addon */
function xattrFacts(fsx, addon) {
  if (fsx === undefined && addon === undefined) return skip('all xattr measurements', 'neither fs-xattr nor build/Release/overlaydiff.node');
  /** @type {(path: string | Buffer, name: string, value: Buffer) => void} */
  const setXattr = (path, name, value) =>
    addon !== undefined ? addon.set(Buffer.from(path), Buffer.from(name), value) : fsx?.setAttributeSync(path, name, value);

  const dir = join(work, 'xattr');
  const dirs = 100;
  /** @type {string[]} */
  const paths = [];
  for (let d = 0; d < dirs; d++) mkdirSync(join(dir, `d${d}`), { recursive: true });
  for (let i = 0; i < XATTR_FILES; i++) {
    const p = join(dir, `d${i % dirs}`, `f${i}`);
    writeFileSync(p, `file ${i}\n`);
    setXattr(p, 'user.mime_type', Buffer.from('text/plain'));
    setXattr(p, 'user.checksum', Buffer.from(`${i}`.padStart(32, '0')));
    paths.push(p);
  }
  /** @type {string[]} */
  const bare = [];
  for (let i = 0; i < XATTR_FILES; i++) {
    const p = join(dir, `d${i % dirs}`, `bare${i}`);
    writeFileSync(p, `file ${i}\n`);
    bare.push(p);
  }
  say(
    `${XATTR_FILES} regular files in ${dirs} dirs with 2 user.* xattrs each (list + get both), ` +
      `and ${XATTR_FILES} without xattrs (list only: the common case in an upperdir); cost per file`,
  );

  /** @type {[string, Timing, Timing][]} */
  const rows = [];
  /** @type {(name: string, fn: (p: string) => number) => void} */
  const rowFor = (name, fn) => {
    const checked = [fn(paths[0] ?? ''), fn(bare[0] ?? '')];
    if (checked[0] !== 2 || checked[1] !== 0) throw new Error(`${name} read ${checked} xattrs, expected 2,0`);
    rows.push([
      name,
      time(() => {
        for (const p of paths) fn(p);
      }),
      time(() => {
        for (const p of bare) fn(p);
      }),
    ]);
  };
  rowFor('lstatSync(p, {bigint:true}) alone, for scale', (p) => (lstatSync(p, { bigint: true }), p.includes('/bare') ? 0 : 2));
  if (fsx !== undefined) {
    rowFor('fs-xattr sync, plain path', (p) => {
      const names = fsx.listAttributesSync(p);
      for (const n of names) fsx.getAttributeSync(p, n);
      return names.length;
    });
    if (O_PATH !== undefined) {
      rowFor('fs-xattr sync, /proc/self/fd/N of O_PATH|O_NOFOLLOW fd', (p) => {
        const fd = openSync(p, O_PATH | constants.O_NOFOLLOW);
        try {
          const viaFd = `/proc/self/fd/${fd}`;
          const names = fsx.listAttributesSync(viaFd);
          for (const n of names) fsx.getAttributeSync(viaFd, n);
          return names.length;
        } finally {
          closeSync(fd);
        }
      });
    }
  } else {
    skip('fs-xattr timings', `not installed in ${PKG_DIR}`);
  }
  if (addon !== undefined) {
    const bufs = new Map(paths.map((p) => [p, Buffer.from(p)]));
    rowFor('project addon (llistxattr/lgetxattr, Buffer path)', (p) => {
      const b = bufs.get(p) ?? Buffer.from(p);
      const list = addon.list(b);
      let n = 0;
      for (let start = 0; start < list.length; ) {
        const end = list.indexOf(0, start);
        addon.get(b, list.subarray(start, end));
        n++;
        start = end + 1;
      }
      return n;
    });
  } else {
    skip('project addon timing', 'build/Release/overlaydiff.node missing: run make build');
  }
  say(`${''.padEnd(54)} ${'2 xattrs: best / median µs'.padEnd(28)} none: best / median µs`);
  for (const [name, t2, t0] of rows) say(`${name.padEnd(54)} ${perFile(t2, XATTR_FILES).padEnd(28)} ${perFile(t0, XATTR_FILES)}`);

  // Symlink semantics. user.* cannot be set on a symlink (the kernel refuses), trusted.* can (root):
  // the link carries trusted.pkgbench=link, its target user.pkgbench=target.
  const target = join(work, 'xattr-target');
  const link = join(work, 'xattr-link');
  const dangling = join(work, 'xattr-dangling');
  writeFileSync(target, 'target\n');
  setXattr(target, 'user.pkgbench', Buffer.from('target'));
  symlinkSync(target, link);
  symlinkSync(join(work, 'does-not-exist'), dangling);
  let linkOwn = 'none';
  if (addon !== undefined) {
    try {
      addon.set(Buffer.from(link), Buffer.from('trusted.pkgbench'), Buffer.from('link'));
      linkOwn = 'trusted.pkgbench=link';
    } catch (err) {
      linkOwn = `none (lsetxattr trusted.* failed: ${errorText(err)})`;
    }
  }
  say(`symlink -> file with user.pkgbench=target; the link itself has ${linkOwn}; a dangling symlink too`);
  if (fsx !== undefined) {
    say(`fs-xattr listAttributesSync(symlink)             ${outcome(() => fsx.listAttributesSync(link))}`);
    say(`fs-xattr getAttributeSync(symlink, user.pkgbench) ${outcome(() => fsx.getAttributeSync(link, 'user.pkgbench'))}`);
    say(`fs-xattr listAttributesSync(dangling symlink)    ${outcome(() => fsx.listAttributesSync(dangling))}`);
    say(`fs-xattr getAttributeSync(dangling, user.x)      ${outcome(() => fsx.getAttributeSync(dangling, 'user.x'))}`);
    say(`fs-xattr listAttributesSync(Buffer path)         ${outcome(() => fsx.listAttributesSync(Buffer.from(target)))}`);
    if (O_PATH !== undefined) {
      /** @type {(p: string | Buffer, fn: (p: string) => unknown) => unknown} */
      const viaFd = (p, fn) => {
        const fd = openSync(p, O_PATH | constants.O_NOFOLLOW);
        try {
          return fn(`/proc/self/fd/${fd}`);
        } finally {
          closeSync(fd);
        }
      };
      say(`fs-xattr list via O_PATH fd of the symlink       ${outcome(() => viaFd(link, (p) => fsx.listAttributesSync(p)))}`);
      say(`fs-xattr list via O_PATH fd of the dangling link ${outcome(() => viaFd(dangling, (p) => fsx.listAttributesSync(p)))}`);
      const raw = Buffer.concat([Buffer.from(join(work, 'name-')), Buffer.from([0xff, 0xfe])]);
      writeFileSync(raw, 'x');
      setXattr(raw, 'user.pkgbench', Buffer.from('raw'));
      say(`fs-xattr list via O_PATH fd of name \\xff\\xfe     ${outcome(() => viaFd(raw, (p) => fsx.listAttributesSync(p)))}`);
    }
  }
  if (addon !== undefined) {
    /** @param {Buffer} buf */
    const names = (buf) =>
      buf
        .toString('latin1')
        .split('\0')
        .filter((s) => s !== '');
    say(`addon list(symlink)                              ${outcome(() => names(addon.list(Buffer.from(link))))}`);
    say(`addon get(symlink, user.pkgbench)                ${outcome(() => addon.get(Buffer.from(link), Buffer.from('user.pkgbench')))}`);
    say(`addon list(dangling symlink)                     ${outcome(() => names(addon.list(Buffer.from(dangling))))}`);
    say(`addon list(missing path)                         ${outcome(() => addon.list(Buffer.from(join(work, 'missing'))))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. tar-stream: binary PAX xattr values and a large uid.

/** @param {TarStream | undefined} tarStream @param {XattrAddon | undefined} addon */
async function tarStreamFacts(tarStream, addon) {
  if (tarStream === undefined) return skip('tar-stream', `not installed in ${PKG_DIR}`);
  const value = Buffer.from([0x01, 0x00, 0xff, 0x0a, 0x80]);
  const xattrKey = 'SCHILY.xattr.user.bin';
  /** @type {(headerFields: Record<string, unknown>, body?: string) => Promise<Buffer>} */
  const packOne = async (headerFields, body = 'x') => {
    const pack = tarStream.pack();
    /** @type {Buffer[]} */
    const chunks = [];
    pack.on('data', (c) => chunks.push(c));
    const ended = new Promise((res, rej) => {
      pack.on('end', res);
      pack.on('error', rej);
    });
    pack.entry({ name: 'f', size: body.length, mode: 0o644, mtime: new Date(0), ...headerFields }, body);
    pack.finalize();
    await ended;
    return Buffer.concat(chunks);
  };

  say(`PAX value written: ${show(value)} under ${xattrKey}`);
  /** @type {[string, Buffer | string][]} */
  const variants = [
    ['value as a Buffer', value],
    ["value as a 'binary'/latin1 string", value.toString('latin1')],
  ];
  for (const [label, paxValue] of variants) {
    let archive;
    try {
      archive = await packOne({ pax: { [xattrKey]: paxValue } });
    } catch (err) {
      say(`${label}: pack throws ${errorText(err)}`);
      continue;
    }
    const file = join(work, `ts-${label.replace(/\W+/g, '-')}.tar`);
    writeFileSync(file, archive);
    const inArchive = paxRecord(archive, xattrKey);
    /** @param {Buffer | undefined} b */
    const survived = (b) => (b?.equals(value) ? 'SURVIVE' : 'CORRUPTED');
    say(`${label}:`);
    say(`  bytes in the archive's PAX record: ${inArchive === undefined ? 'no record' : show(inArchive)} -> ${survived(inArchive)}`);
    const viaPython = readXattrWithPython(file, xattrKey);
    if (viaPython !== undefined)
      say(`  python tarfile reads:              ${viaPython instanceof Error ? viaPython.message : `${show(viaPython)} -> ${survived(viaPython)}`}`);
    const viaGnu = readXattrWithGnuTar(file, addon);
    if (viaGnu !== undefined)
      say(`  GNU tar --xattrs extracts:         ${viaGnu instanceof Error ? viaGnu.message : `${show(viaGnu)} -> ${survived(viaGnu)}`}`);
  }

  const uid = 3_000_000;
  const archive = await packOne({ uid, gid: uid });
  const file = join(work, 'ts-uid.tar');
  writeFileSync(file, archive);
  const field = archive.subarray(108, 116).toString('latin1').replace(/\0.*$/s, '');
  const hasPax = archive[156] === 0x78; // typeflag 'x'
  say(`uid/gid ${uid}: ustar uid field ${JSON.stringify(field)} = ${parseInt(field, 8)}, PAX header emitted: ${hasPax}` + `${pythonUid(file)}`);

  say(`pack.entry({name: Buffer}) ${bufferNameOutcome()}`);
  const pack = tarStream.pack();
  const ret = pack.entry({ name: 'g', size: 1 }, 'y');
  say(
    `pack.entry(header, body) returns ${ret === undefined ? 'undefined' : typeof ret === 'boolean' ? `a boolean (${ret})` : `an object (${ret.constructor?.name}, writable: ${typeof ret.write === 'function'})`}, not a backpressure flag`,
  );
  pack.destroy();
}

// In a child process: tar-stream throws this one from a nextTick, where no caller can catch it.
function bufferNameOutcome() {
  const code = `
    const { default: tarStream } = await import(${JSON.stringify(pathToFileURL(join(PKG_DIR, 'node_modules', 'tar-stream', 'index.js')).href)});
    const pack = tarStream.pack();
    let bytes = 0;
    pack.on('data', (c) => { bytes += c.length; });
    pack.on('end', () => console.log('returns a ' + bytes + '-byte archive'));
    pack.entry({ name: Buffer.from([0x66, 0xff]), size: 1 }, 'x');
    pack.finalize();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.trim();
  const error = r.stderr.split('\n').find((l) => /^\w*Error/.test(l)) ?? r.stderr.trim().split('\n').at(-1);
  return `crashes the process (uncaught, exit ${r.status}): ${error}`;
}

// Finds `key` in the first PAX ('x') header and returns its raw value bytes (by the length prefix).
/** @param {Buffer} archive @param {string} key @returns {Buffer | undefined} */
function paxRecord(archive, key) {
  if (archive[156] !== 0x78) return undefined;
  const size = parseInt(archive.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  const body = archive.subarray(512, 512 + size);
  for (let at = 0; at < body.length; ) {
    const space = body.indexOf(0x20, at);
    const length = Number(body.subarray(at, space).toString('latin1'));
    const record = body.subarray(space + 1, at + length - 1); // drop the trailing '\n'
    const eq = record.indexOf(0x3d);
    if (record.subarray(0, eq).toString('latin1') === key) return record.subarray(eq + 1);
    at += length;
  }
  return undefined;
}

/** @param {string} file @param {string} key @returns {Buffer | Error | undefined} */
function readXattrWithPython(file, key) {
  if (!has('python3')) return undefined;
  // tarfile decodes PAX values as UTF-8 with surrogateescape: encoding back the same way gives the bytes.
  const code =
    'import sys,tarfile\n' +
    'm=tarfile.open(sys.argv[1]).getmembers()[0]\n' +
    'v=m.pax_headers.get(sys.argv[2])\n' +
    'print("none" if v is None else v.encode("utf-8","surrogateescape").hex())';
  const r = spawnSync('python3', ['-c', code, file, key], { encoding: 'utf8' });
  if (r.status !== 0) return new Error(`python tarfile fails: ${r.stderr.trim().split('\n').at(-1)}`);
  const hex = r.stdout.trim();
  return hex === 'none' ? new Error('python tarfile: no such PAX record') : Buffer.from(hex, 'hex');
}

/** @param {string} file */
function pythonUid(file) {
  if (!has('python3')) return '';
  const r = spawnSync('python3', ['-c', 'import sys,tarfile\nm=tarfile.open(sys.argv[1]).getmembers()[0]\nprint(m.uid, m.gid)', file], { encoding: 'utf8' });
  return r.status === 0 ? `; python tarfile reads uid/gid ${r.stdout.trim()}` : `; python tarfile fails: ${r.stderr.trim().split('\n').at(-1)}`;
}

/** @param {string} file @param {XattrAddon | undefined} addon @returns {Buffer | Error | undefined} */
function readXattrWithGnuTar(file, addon) {
  if (!has('tar') || addon === undefined) return undefined;
  const dest = mkdtempSync(join(work, 'gnutar-'));
  const r = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-xf', file, '-C', dest], { encoding: 'utf8' });
  if (r.status !== 0) return new Error(`GNU tar fails: ${r.stderr.trim()}`);
  try {
    return addon.get(Buffer.from(join(dest, 'f')), Buffer.from('user.bin'));
  } catch (err) {
    return new Error(`no user.bin after extraction (${errorText(err)})${r.stderr.trim() === '' ? '' : `; tar says: ${r.stderr.trim()}`}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 3. fast-glob: symlinked dirs, a non-UTF-8 name, and walk time against readdir + lstat.

/** @param {FastGlob | undefined} fg */
async function fastGlobFacts(fg) {
  if (fg === undefined) return skip('fast-glob', `not installed in ${PKG_DIR}`);
  const plain = join(work, 'fg-plain');
  mkdirSync(join(plain, 'real'), { recursive: true });
  writeFileSync(join(plain, 'real', 'inner.txt'), 'x');
  writeFileSync(join(plain, 'top.txt'), 'x');
  symlinkSync('real', join(plain, 'link-to-dir'));
  const withRaw = join(work, 'fg-raw');
  mkdirSync(withRaw);
  for (const name of ['real', 'top.txt', 'link-to-dir']) spawnSync('cp', ['-a', join(plain, name), withRaw]);
  writeFileSync(Buffer.concat([Buffer.from(`${withRaw}/bad-`), Buffer.from([0xff])]), 'x');

  /** @param {GlobEntry[]} entries */
  const describe = (entries) => JSON.stringify(entries.map((e) => (typeof e === 'string' ? e : `${e.path}${e.stats ? ' (stats)' : ''}`)).sort());
  /** @type {(label: string, cwd: string, options: Record<string, unknown>) => Promise<void>} */
  const tryGlob = async (label, cwd, options) => {
    let sync;
    let asyncResult;
    try {
      sync = describe(fg.sync('**', { cwd, ...options }));
    } catch (err) {
      sync = `throws ${errorText(err)}`;
    }
    try {
      asyncResult = describe(await fg('**', { cwd, ...options }));
    } catch (err) {
      asyncResult = `throws ${errorText(err)}`;
    }
    say(`${label}: sync ${sync}${asyncResult === sync ? ' (async: same)' : `; async ${asyncResult}`}`);
  };
  say('tree: real/inner.txt, top.txt, link-to-dir -> real; the second tree adds a file named "bad-\\xff"');
  await tryGlob("fg('**') defaults", plain, {});
  await tryGlob("fg('**', {stats:true})", plain, { stats: true });
  await tryGlob("fg('**', {followSymbolicLinks:false})", plain, { followSymbolicLinks: false });
  await tryGlob("with bad-\\xff, fg('**') defaults", withRaw, {});
  await tryGlob("with bad-\\xff, fg('**', {stats:true})", withRaw, { stats: true });
  await tryGlob("with bad-\\xff, fg('**', {stats:true, suppressErrors:true})", withRaw, { stats: true, suppressErrors: true });

  // Walk time over the same tree: dirs of 100 files each.
  const tree = join(work, 'walk');
  const perDir = 100;
  const nDirs = Math.max(1, Math.round(WALK_ENTRIES / (perDir + 1)));
  for (let d = 0; d < nDirs; d++) {
    const sub = join(tree, `g${Math.floor(d / 32)}`, `d${d}`);
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < perDir; i++) writeFileSync(join(sub, `f${i}`), '');
  }
  const ownWalk = () => {
    let n = 0;
    /** @param {Buffer} dir */
    const visit = (dir) => {
      for (const e of readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })) {
        const p = Buffer.concat([dir, Buffer.from('/'), e.name]);
        lstatSync(p, { bigint: true });
        n++;
        if (e.isDirectory()) visit(p);
      }
    };
    visit(Buffer.from(tree));
    return n;
  };
  const entries = ownWalk();
  say(`walk tree: ${entries} entries (${nDirs} dirs of ${perDir} empty files, in ${Math.ceil(nDirs / 32)} groups)`);
  const fgOptions = { cwd: tree, stats: true, onlyFiles: false, dot: true, followSymbolicLinks: false };
  const fgCount = fg.sync('**', fgOptions).length;
  if (fgCount !== entries) say(`note: fast-glob returned ${fgCount} entries, the walk ${entries}`);
  /** @param {Timing} timing */
  const fmt = ({ best, median }) => `${best.toFixed(3)} s best, ${median.toFixed(3)} s median`;
  say(`readdirSync({withFileTypes, encoding:'buffer'}) + lstatSync({bigint}): ${fmt(time(ownWalk))}`);
  say(`fast-glob sync  ('**', stats, onlyFiles:false, no follow):          ${fmt(time(() => fg.sync('**', fgOptions)))}`);
  say(`fast-glob async ('**', stats, onlyFiles:false, no follow):          ${fmt(await timeAsync(() => fg('**', fgOptions)))}`);
}

/** @param {() => Promise<unknown>} fn @returns {Promise<Timing>} */
async function timeAsync(fn) {
  await fn();
  const secs = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await fn();
    secs.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  secs.sort((a, b) => a - b);
  return { best: secs[0] ?? NaN, median: secs[Math.floor((secs.length - 1) / 2)] ?? NaN };
}
