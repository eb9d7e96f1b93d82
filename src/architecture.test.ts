// The dependency rules ARCHITECTURE.md states, checked on the imports of src/**/*.ts so they cannot silently rot.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = dirname(new URL(import.meta.url).pathname);
const ARCHITECTURE = join(SRC, '..', 'ARCHITECTURE.md');
/** The shared modules at the top of src/ (rank 0) and the public API (the highest rank). */
const SHARED = '(shared)';
const INDEX = '(index)';
/** Folders whose modules read the trees only through fsio/, never with node:fs themselves. */
const NO_NODE_FS = [SHARED, 'classify', 'lowers', 'walk', 'layer', 'tar'];

interface Module {
  /** Path relative to src/, '/'-separated. */
  readonly file: string;
  readonly source: string;
}

interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly why: string;
}

/** The rank of each folder, read from the map in ARCHITECTURE.md (`| 3 | \`lowers/\` | ... |`). */
function ranksFromArchitecture(markdown: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const match of markdown.matchAll(/^\| (\d+) \| `([^`]+)` \|/gm)) {
    const name = match[2]!;
    const unit = name === 'src/*.ts' ? SHARED : name === 'src/index.ts' ? INDEX : name.replace(/\/$/, '');
    ranks.set(unit, Number(match[1]));
  }
  return ranks;
}

/** Which unit of the map a module belongs to: its top folder under src/, or a shared top-level file. */
function unitOf(file: string): string {
  const slash = file.indexOf('/');
  if (slash >= 0) return file.slice(0, slash);
  return file === 'index.ts' ? INDEX : SHARED;
}

/** Every module specifier in `source`: `import … from`, `export … from`, `import '…'` and `import('…')`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s*'([^']+)'/gm)) found.push(m[1]!);
  for (const m of source.matchAll(/^\s*import\s*'([^']+)'/gm)) found.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(m[1]!);
  return found;
}

/** The imports that break the rules: one going up or sideways in the map, node:fs where it may not be. */
function violations(modules: readonly Module[], ranks: ReadonlyMap<string, number>): Violation[] {
  const out: Violation[] = [];
  for (const { file, source } of modules) {
    const from = unitOf(file);
    const fromRank = ranks.get(from);
    if (fromRank === undefined) {
      out.push({ file, imports: '', why: `${from}/ is not in ARCHITECTURE.md's map: give it a rank and one sentence` });
      continue;
    }
    for (const spec of specifiers(source)) {
      if (spec === 'node:fs' || spec === 'node:fs/promises') {
        if (NO_NODE_FS.includes(from)) out.push({ file, imports: spec, why: `${from} reads files only through fsio/` });
        continue;
      }
      if (!spec.startsWith('.')) continue;
      // Specifiers name the emitted .js file; the module is the .ts beside it.
      const target = relative(SRC, resolve(SRC, dirname(file), spec))
        .split('\\')
        .join('/')
        .replace(/\.js$/, '.ts');
      const to = unitOf(target);
      if (to === from) continue;
      const toRank = ranks.get(to);
      if (toRank === undefined || toRank >= fromRank) {
        out.push({ file, imports: spec, why: `${from} (rank ${fromRank}) may not import ${to} (rank ${toRank ?? 'none'})` });
      }
    }
  }
  return out;
}

function sourceModules(): Module[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => ({ file: f.split('\\').join('/'), source: readFileSync(join(SRC, f), 'utf8') }));
}

describe('architecture', () => {
  const ranks = ranksFromArchitecture(readFileSync(ARCHITECTURE, 'utf8'));

  it('reads a rank for every folder of src/ from ARCHITECTURE.md', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.length).toBeGreaterThan(10);
    for (const folder of [...folders, SHARED, INDEX]) expect(ranks.has(folder), `${folder} in ARCHITECTURE.md's map`).toBe(true);
    expect([...ranks.keys()].filter((unit) => unit !== SHARED && unit !== INDEX && !folders.includes(unit))).toEqual([]);
  });

  it('has every import run down the map, and node:fs only at the edges', () => {
    const modules = sourceModules();
    expect(modules.length).toBeGreaterThan(100);
    expect(violations(modules, ranks)).toEqual([]);
  });

  it('catches an import against the pipeline, a sideways one, node:fs in a pure stage and an unmapped folder', () => {
    const found = violations(
      [
        { file: 'lowers/x.ts', source: "import { walkStack } from '../walk/stack-walk.js';" },
        { file: 'apply/x.ts', source: "import type { DiffPlan } from '../diff/options.js';\nexport { verify } from '../verify/verify.js';" },
        { file: 'fsio/x.ts', source: "const m = await import('../classify/namespace.js');" },
        { file: 'tar/x.ts', source: "import { openSync } from 'node:fs';\nimport { MemberOrder } from './member-order.js';" },
        { file: 'types.ts', source: "import {\n  diff,\n} from './diff/diff.js';" },
        { file: 'nowhere/x.ts', source: '' },
        { file: 'cli/x.ts', source: "import { diff } from '../index.js';\nimport { readFileSync } from 'node:fs';" },
      ],
      ranks,
    );
    expect(found.map((v) => `${v.file} ${v.imports}`)).toEqual([
      'lowers/x.ts ../walk/stack-walk.js',
      'apply/x.ts ../verify/verify.js',
      'fsio/x.ts ../classify/namespace.js',
      'tar/x.ts node:fs',
      'types.ts ./diff/diff.js',
      'nowhere/x.ts ',
      'cli/x.ts ../index.js',
    ]);
    // diff is rank 7, apply rank 8: apply may import diff's types, but not verify (same rank).
    expect(found.find((v) => v.file === 'apply/x.ts')?.why).toBe('apply (rank 8) may not import verify (rank 8)');
  });
});
