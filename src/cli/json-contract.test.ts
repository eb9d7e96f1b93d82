// Every command's --json output and errors, checked against the schemas in schemas/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCapturedOutput } from '../../fixtures/captured-output.js';
import { compileSchema, schemaErrors, schemaNames } from '../../fixtures/json-schemas.js';
import { COMMANDS } from './commands.js';
import { main } from './main.js';

const output = useCapturedOutput();
let root: string;
const at = (...parts: string[]): string => join(root, ...parts);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-json-'));
  mkdirSync(at('upper/d'), { recursive: true });
  writeFileSync(at('upper/d/f'), 'data');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number;
  json: unknown;
  err: string;
}

async function run(argv: string[]): Promise<Run> {
  output.out = '';
  output.err = '';
  const code = await main(argv);
  return { code, json: JSON.parse(output.out) as unknown, err: output.err };
}

async function valid(schema: string, argv: string[], exitCode = 0): Promise<Record<string, unknown>> {
  const r = await run(argv);
  expect(r.err).toBe('');
  expect(schemaErrors(schema, r.json)).toBe('');
  expect(r.code).toBe(exitCode);
  return r.json as Record<string, unknown>;
}

const DIFF = ['diff', '--upper', '', '--xattr-namespace', 'user', '--json'];
const diffArgs = (...extra: string[]): string[] => [...DIFF.map((a) => (a === '' ? at('upper') : a)), ...extra];

describe('the --json contract', () => {
  it('has a schema for every command and the error, and each one compiles strictly', () => {
    expect(schemaNames()).toEqual([...COMMANDS.filter((c) => c.jsonReport !== false).map((c) => c.name), 'common', 'error', 'version'].sort());
    for (const name of schemaNames()) compileSchema(name);
  });

  it('diff reports a pure OCI descriptor, the diffID and the stats beside it', async () => {
    const report = await valid('diff', diffArgs('-o', at('l.tar.gz'), '--compression', 'gzip'));
    expect(report['descriptor']).toEqual({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: expect.stringMatching(/^sha256:/),
      size: expect.any(Number),
      annotations: { 'containerd.io/uncompressed': report['diffID'] },
    });
    expect(report['stats']).toMatchObject({ entries: 2, bytes: 4 });
    expect(await valid('diff', diffArgs('-o', at('l.tar')))).not.toHaveProperty('layout');
  });

  it('diff --layout, gc, rm and fsck', async () => {
    const layout = at('layout');
    const stored = await valid('diff', diffArgs('--layout', layout, '--tag', 'a'));
    expect(stored['layout']).toMatchObject({ tag: 'a' });
    await valid('fsck', ['fsck', '--layout', layout, '--json']);
    await valid('inspect', ['inspect', '--layout', layout, '--tag', 'a', '--lint', '--json']);
    await valid('rm', ['rm', '--layout', layout, 'a', '--json']);
    expect(await valid('gc', ['gc', '--layout', layout, '--grace', '0', '--json'])).toMatchObject({ deleted: expect.arrayContaining([]) });
  });

  it('apply, flatten (-o and --dir), verify and inspect', async () => {
    const layer = at('l.tar');
    await valid('diff', diffArgs('-o', layer));
    mkdirSync(at('target'));
    await valid('apply', ['apply', layer, at('target'), '--json']);
    const flat = await valid('flatten', ['flatten', layer, layer, '-o', at('flat.tar'), '--json']);
    expect(flat['descriptor']).toMatchObject({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: flat['diffID'] });
    await valid('flatten', ['flatten', layer, '--dir', at('flat-dir'), '--json']);
    await valid('verify', ['verify', '--layer', layer, '--merged', at('upper'), '--xattr-namespace', 'user', '--json']);
    mkdirSync(at('other'));
    writeFileSync(at('other/extra'), '');
    const differs = await valid('verify', ['verify', '--layer', layer, '--merged', at('other'), '--xattr-namespace', 'user', '--json'], 1);
    expect(differs['mismatches']).not.toEqual([]);
    await valid('inspect', ['inspect', layer, '--lint', '--json']);
    await valid('version', ['version', '--json']);
  });

  const failures: [string, string[], number][] = [
    ['diff', ['diff', '--upper', '/u', '--bogus', '--json'], 2],
    ['diff', ['diff', '--upper', '/nonexistent/upper', '-o', '/nonexistent/l.tar', '--json'], 1],
    ['apply', ['apply', '/nonexistent/l.tar', '/nonexistent/dir', '--json'], 1],
    ['apply', ['--json', 'apply'], 2],
    ['flatten', ['flatten', '/nonexistent/l.tar', '-o', '/nonexistent/out.tar', '--json'], 1],
    ['verify', ['verify', '--json'], 2],
    ['verify', ['verify', '--layer', '/nonexistent/l.tar', '--merged', '/nonexistent', '--xattr-namespace', 'user', '--json'], 1],
    ['inspect', ['inspect', '/nonexistent/l.tar', '--json'], 1],
    ['gc', ['gc', '--layout', '/nonexistent/layout', '--json'], 1],
    ['rm', ['--json', 'rm', '--layout', '/nonexistent/layout', 'x'], 1],
    ['fsck', ['fsck', '--json'], 2],
    ['version', ['version', 'extra', '--json'], 2],
    ['unknown command', ['--json', 'frobnicate'], 2],
  ];
  it.each(failures)('%s fails with a JSON error: %j', async (_, argv, exitCode) => {
    const r = await run(argv);
    expect(schemaErrors('error', r.json)).toBe('');
    expect(r.err).toBe('');
    expect(r.code).toBe(exitCode);
    expect((r.json as { error: { code: string } }).error.code).toEqual(exitCode === 2 ? 'E_USAGE' : expect.stringMatching(/^E_(NOT_FOUND|IO|BAD_ARCHIVE)$/));
  });

  it('puts the JSON error on stderr when stdout carries the layer', async () => {
    output.out = '';
    output.err = '';
    expect(await main(['diff', '--upper', at('missing'), '-o', '-', '--json'])).toBe(1);
    expect(output.out).toBe('');
    expect(schemaErrors('error', JSON.parse(output.err))).toBe('');
  });

  it('names the path in a JSON error', async () => {
    const r = await run(['inspect', at('missing.tar'), '--json']);
    expect(r.json).toEqual({ schemaVersion: 1, error: { code: 'E_NOT_FOUND', message: expect.stringContaining('missing.tar'), path: at('missing.tar') } });
  });
});
