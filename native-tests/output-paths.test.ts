// Where `-o` and `--layout` write: a device, FIFO, socket or /dev/fd/N is written through, never
// replaced (the CLI once replaced /dev/null with a regular file); a symlink's target is written; an
// output inside the snapshot being diffed is refused before anything is created.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDiffReport } from './harness/diff-report.js';
import { REPO } from './harness/overlay.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const scenario = useScenarios();
let root: string;
let upper: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-output-'));
  upper = join(root, 'upper');
  mkdirSync(upper);
  writeFileSync(join(upper, 'f'), 'hello');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function diff(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, 'diff', '--upper', upper, '--json', ...args], { encoding: 'utf8' });
}

function digestOf(r: SpawnSyncReturns<string>): string {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return parseDiffReport(r.stdout).digest;
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('-o writes through what is not a regular file', () => {
  it('a character device stays a device (a private /dev/null)', () => {
    const nul = join(root, 'null');
    expect(spawnSync('mknod', ['-m', '666', nul, 'c', '1', '3']).status).toBe(0);
    digestOf(diff(['-o', nul]));
    const st = lstatSync(nul);
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(lstatSync('/dev/null').rdev);
    expect(readdirSync(root).sort()).toEqual(['null', 'upper']);
  });

  it('a FIFO stays a FIFO and its reader gets the layer', async () => {
    const fifo = join(root, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => reader.once('close', resolve));
    const digest = digestOf(diff(['-o', fifo]));
    await done;
    expect(sha256(Buffer.concat(chunks))).toBe(digest);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('/dev/fd/N and a shell process substitution receive the layer', () => {
    const r = spawnSync(process.execPath, [CLI, 'diff', '--upper', upper, '--json', '-o', '/dev/fd/3'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    expect(r.stderr.toString()).toBe('');
    const digest = parseDiffReport(r.stdout.toString()).digest;
    expect(sha256(r.output[3] as Buffer)).toBe(digest);

    const sum = join(root, 'sum');
    const shell = spawnSync('bash', ['-c', `${process.execPath} ${CLI} diff --upper ${upper} -o >(sha256sum > ${sum}) --json > ${root}/d.json; wait $!`], {
      encoding: 'utf8',
    });
    expect(shell.stderr).toBe('');
    expect(shell.status).toBe(0);
    const expected = parseDiffReport(readFileSync(join(root, 'd.json'), 'utf8')).digest;
    expect(`sha256:${readFileSync(sum, 'utf8').split(' ')[0]}`).toBe(expected);
  });

  it('a unix socket gets the layer over a connection', async () => {
    const sock = join(root, 'sock');
    const server = spawn('python3', [
      '-c',
      `
import socket, sys, hashlib
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print('ready', flush=True)
c, _ = s.accept(); h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b)
print('sha256:' + h.hexdigest(), flush=True)`,
      sock,
    ]);
    let out = '';
    server.stdout.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('ready')) await new Promise((resolve) => server.stdout.once('data', resolve));
    const done = new Promise((resolve) => server.once('close', resolve));
    const digest = digestOf(diff(['-o', sock]));
    await done;
    expect(out.trim().split('\n').at(-1)).toBe(digest);
    expect(lstatSync(sock).isSocket()).toBe(true);
  });

  it('a symlink stays a link and its target is written; a dangling one creates its target', () => {
    writeFileSync(join(root, 'target.tar'), 'old');
    symlinkSync('target.tar', join(root, 'link.tar'));
    const digest = digestOf(diff(['-o', join(root, 'link.tar')]));
    expect(readlinkSync(join(root, 'link.tar'))).toBe('target.tar');
    expect(sha256(readFileSync(join(root, 'target.tar')))).toBe(digest);
    symlinkSync('new.tar', join(root, 'dangling'));
    const again = digestOf(diff(['-o', join(root, 'dangling')]));
    expect(sha256(readFileSync(join(root, 'new.tar')))).toBe(again);
    expect(lstatSync(join(root, 'dangling')).isSymbolicLink()).toBe(true);
  });

  it('refuses a block device and a directory, leaving them as they are', () => {
    const blk = join(root, 'blk');
    expect(spawnSync('mknod', [blk, 'b', '7', '250']).status).toBe(0);
    // With --json the error is JSON on stdout.
    const r = diff(['-o', blk]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('output is a block device') } });
    expect(lstatSync(blk).isBlockDevice()).toBe(true);
    const d = diff(['-o', upper]);
    expect(JSON.parse(d.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('output is a directory') } });
  });
});

describe('outputs inside the snapshot are refused before anything is written', () => {
  forModes(['trusted'] as const, '-o and --layout inside the upperdir, a lowerdir or the mounted overlay', () => {
    const s = scenario('trusted');
    s.prepare('echo base > $L0/base');
    s.change('echo x > x');
    const listNames = (): string[] => [...readdirSync(s.upper), '|', ...readdirSync(s.lowers[0]!)].sort();
    const listing = listNames();
    const run = (args: string[]): SpawnSyncReturns<string> =>
      spawnSync(process.execPath, [CLI, 'diff', '--upper', s.upper, '--lower', s.lowers[0]!, ...args], { encoding: 'utf8' });
    for (const [args, message] of [
      [['-o', join(s.upper, 'inside.tar')], 'output is inside the upperdir'],
      [['-o', join(s.lowers[0]!, 'inside.tar')], 'output is inside the lowerdir'],
      [['--layout', join(s.upper, 'lay')], 'image layout is inside the upperdir'],
      [['--layout', join(s.lowers[0]!, 'lay')], 'image layout is inside the lowerdir'],
      [['--layout', join(s.root, 'lay'), '-o', join(s.upper, 'copy.tar')], 'output is inside the upperdir'],
    ] as const) {
      const r = run([...args]);
      expect(r.stderr).toContain(message);
      expect(r.status).toBe(2);
      expect(listNames()).toEqual(listing);
    }
    // A live mount: writing below the mount point writes into the upperdir.
    const script = `${process.execPath} ${CLI} diff --mountpoint "$M" -o "$M/inside.tar" 2> ${s.root}/err || echo $? > ${s.root}/status`;
    s.change(script);
    expect(readFileSync(join(s.root, 'status'), 'utf8').trim()).toBe('2');
    expect(readFileSync(join(s.root, 'err'), 'utf8')).toContain('output is inside the overlay mounted at');
    expect(readdirSync(s.upper)).not.toContain('inside.tar');
  });
});
