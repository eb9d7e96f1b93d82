// A target directory named with bytes that are not UTF-8 is the one apply and flatten --dir write
// into: not its U+FFFD twin (process.argv decodes lossily), and fifos are made there too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tarOf } from '../fixtures/layer-tar.js';
import { REPO } from './harness/overlay.js';

const CLI = process.env['OVERLAYDIFF_CLI'] ?? join(REPO, 'dist/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'overlaydiff-argv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('path arguments as bytes', () => {
  for (const command of ['apply', 'flatten']) {
    it(`${command} writes into the directory whose name is not UTF-8`, () => {
      const box = join(work, command);
      rmSync(box, { recursive: true, force: true });
      spawnSync('mkdir', ['-p', box]);
      writeFileSync(
        join(box, 'layer.tar'),
        tarOf([
          { path: 'f', data: 'abc' },
          { path: 'p', type: 'fifo' },
        ]),
      );
      // bash passes the raw byte 0xff; node's spawn could only pass UTF-8 strings.
      const args = command === 'apply' ? 'apply layer.tar "$T"' : 'flatten layer.tar --dir "$T"';
      const r = spawnSync('bash', ['-c', `cd "$0" && T=$(printf 'tgt\\xff') && mkdir "$T" && "$1" "$2" ${args} >/dev/null`, box, process.execPath, CLI], {
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const names = readdirSync(box, { encoding: 'buffer' })
        .map((n) => n.toString('hex'))
        .sort();
      expect(names).toEqual([Buffer.from('layer.tar').toString('hex'), Buffer.from([0x74, 0x67, 0x74, 0xff]).toString('hex')]);
      const inside = readdirSync(Buffer.concat([Buffer.from(`${box}/`), Buffer.from([0x74, 0x67, 0x74, 0xff])]), { encoding: 'buffer' })
        .map(String)
        .sort();
      expect(inside).toEqual(['f', 'p']);
    });
  }
});
