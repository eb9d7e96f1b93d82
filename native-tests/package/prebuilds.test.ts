// The prebuilt addons (make prebuilds): each is an ELF for its architecture that its platform's loader accepts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../harness/overlay.js';

const PREBUILDS = join(REPO, 'prebuilds');
const DLOPEN_C = join(REPO, 'native-tests/package/dlopen/dlopen.c');
const EM_X86_64 = 62;
const EM_AARCH64 = 183;
let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'overlaydiff-prebuilds-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function elfMachine(file: string): number {
  const header = readFileSync(file).subarray(0, 20);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

// Compiles the dlopen probe with `cc` and runs it (through `runner`) on `addon`.
function probe(cc: string, runner: string[], addon: string): ReturnType<typeof spawnSync> {
  const exe = join(scratch, cc);
  execFileSync(cc, ['-o', exe, DLOPEN_C, '-ldl']);
  return spawnSync(runner[0] ?? exe, [...runner.slice(1), ...(runner.length > 0 ? [exe] : []), addon], { encoding: 'utf8' });
}

describe('prebuilt addons', () => {
  it('exist for linux-x64 (glibc, musl) and linux-arm64 (glibc), and nothing else', () => {
    const files = readdirSync(PREBUILDS, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.node'))
      .sort();
    expect(files).toEqual(['linux-arm64/node.napi.glibc.node', 'linux-x64/node.napi.glibc.node', 'linux-x64/node.napi.musl.node']);
  });

  it('linux-x64 glibc: this Node loads it and it reads xattrs', () => {
    const file = join(PREBUILDS, 'linux-x64/node.napi.glibc.node');
    expect(elfMachine(file)).toBe(EM_X86_64);
    const addon = createRequire(import.meta.url)(file) as { list(path: Buffer): Buffer };
    execFileSync('setfattr', ['-n', 'user.prebuilt', '-v', 'yes', scratch]);
    expect(addon.list(Buffer.from(scratch)).toString()).toContain('user.prebuilt');
  });

  it("each carries libdeflate (gzip's engine); the x64 glibc one deflates a block this Node inflates", async () => {
    for (const file of ['linux-x64/node.napi.glibc.node', 'linux-arm64/node.napi.glibc.node', 'linux-x64/node.napi.musl.node']) {
      expect(readFileSync(join(PREBUILDS, file)).includes('overlaydiff:deflateBlock')).toBe(true);
    }
    type Deflate = (input: Buffer, level: number, last: boolean, cb: (error: Error | null, out: Buffer, crc: number) => void) => void;
    const addon = createRequire(import.meta.url)(join(PREBUILDS, 'linux-x64/node.napi.glibc.node')) as { deflateBlock: Deflate };
    const input = Buffer.from('prebuilt libdeflate '.repeat(5000));
    const out = await new Promise<Buffer>((resolve, reject) => addon.deflateBlock(input, 6, true, (e, o) => (e ? reject(e) : resolve(o))));
    expect(inflateRawSync(out).equals(input)).toBe(true);
  });

  it('linux-arm64 glibc: an aarch64 ELF the aarch64 loader opens (under qemu)', () => {
    const file = join(PREBUILDS, 'linux-arm64/node.napi.glibc.node');
    expect(elfMachine(file)).toBe(EM_AARCH64);
    const r = probe('aarch64-linux-gnu-gcc', ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu'], file);
    expect(r).toMatchObject({ status: 0, stdout: 'loaded\n' });
  });

  it('linux-x64 musl: the musl loader opens it; the glibc build is not mistaken for it', () => {
    const file = join(PREBUILDS, 'linux-x64/node.napi.musl.node');
    expect(elfMachine(file)).toBe(EM_X86_64);
    expect(probe('musl-gcc', [], file)).toMatchObject({ status: 0, stdout: 'loaded\n' });
    expect(execFileSync('readelf', ['-d', file], { encoding: 'utf8' })).toMatch(/NEEDED.*\[libc\.so\]/);
    expect(execFileSync('readelf', ['-d', join(PREBUILDS, 'linux-x64/node.napi.glibc.node')], { encoding: 'utf8' })).toMatch(/NEEDED.*\[libc\.so\.6\]/);
  });
});
