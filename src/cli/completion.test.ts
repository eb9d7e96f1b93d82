// The completion scripts: bash and fish complete for real; zsh parses its script.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCapturedOutput } from '../../fixtures/captured-output.js';
import { main } from './main.js';

const output = useCapturedOutput();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'overlaydiff-completion-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function script(shell: string): Promise<string> {
  output.out = '';
  expect(await main(['completion', shell])).toBe(0);
  writeFileSync(join(dir, shell), output.out);
  return join(dir, shell);
}

// What bash offers for the command line `words` (the last word is the one being completed).
function bashComplete(file: string, words: string[]): string[] {
  const line = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _overlaydiff; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', line], { encoding: 'utf8', cwd: dir });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((w) => w !== '');
}

describe('overlaydiff completion', () => {
  it('completes commands, then the options of the command typed, in bash', async () => {
    const file = await script('bash');
    expect(bashComplete(file, ['overlaydiff', 'fl'])).toEqual(['flatten']);
    expect(bashComplete(file, ['overlaydiff', '--json', 'in'])).toEqual(['inspect']);
    expect(bashComplete(file, ['overlaydiff', 'diff', '--mo'])).toEqual(['--mounts', '--mountpoint']);
    expect(bashComplete(file, ['overlaydiff', 'gc', '--'])).toEqual(expect.arrayContaining(['--layout', '--grace', '--dry-run', '--json']));
    expect(bashComplete(file, ['overlaydiff', 'help', 'ap'])).toEqual(['apply']);
    expect(bashComplete(file, ['overlaydiff', '--ve'])).toEqual(['--version']);
  });

  it('writes a zsh script zsh parses and a fish script that completes', async () => {
    const zsh = spawnSync('zsh', ['-n', await script('zsh')], { encoding: 'utf8' });
    expect(zsh.stderr).toBe('');
    expect(zsh.status).toBe(0);
    const fish = spawnSync('fish', ['--no-execute', await script('fish')], { encoding: 'utf8' });
    expect(fish.stderr).toBe('');
    expect(fish.status).toBe(0);
    const offered = spawnSync('fish', ['-c', `source ${join(dir, 'fish')}; complete -C'overlaydiff --json insp'; complete -C'overlaydiff diff --mo'`], {
      encoding: 'utf8',
    });
    expect(offered.stdout).toBe("inspect\tlist a layer's members and lint it\n--mountpoint\n--mounts\n");
  });

  it('refuses a shell it does not know', async () => {
    expect(await main(['completion', 'tcsh'])).toBe(2);
    expect(output.err).toContain('bash, zsh, fish');
  });
});
