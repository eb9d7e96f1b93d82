// Runs one generated case on a real overlay and returns why the round trip failed, or undefined.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { listTar, type ListedMember } from '../harness/layer.js';
import { LOWER_OPTIONS } from '../harness/features.js';
import { Scenario, type Manifest } from '../harness/overlay.js';
import type { FuzzCase } from './generator.js';

/** Lines describing how `applied` differs from `merged` (the truth); empty when they are equal. */
export function manifestDifferences(merged: Manifest, applied: Manifest): string[] {
  const out: string[] = [];
  const names = [...new Set([...Object.keys(merged.entries), ...Object.keys(applied.entries)])].sort();
  for (const name of names) {
    const want = merged.entries[name];
    const got = applied.entries[name];
    if (want === undefined) out.push(`  + ${name}: only after apply ${JSON.stringify(got)}`);
    else if (got === undefined) out.push(`  - ${name}: missing after apply, merged has ${JSON.stringify(want)}`);
    else {
      for (const key of [...new Set([...Object.keys(want), ...Object.keys(got)])].sort()) {
        const w = JSON.stringify(want[key]);
        const g = JSON.stringify(got[key]);
        if (w !== g) out.push(`  ~ ${name}: ${key} merged=${w} applied=${g}`);
      }
    }
  }
  const groups = (m: Manifest): Set<string> => new Set(m.hardlinks.map((g) => JSON.stringify(g)));
  const [wantLinks, gotLinks] = [groups(merged), groups(applied)];
  for (const g of wantLinks) if (!gotLinks.has(g)) out.push(`  - hardlink group ${g} missing after apply`);
  for (const g of gotLinks) if (!wantLinks.has(g)) out.push(`  + hardlink group ${g} only after apply`);
  return out;
}

/**
 * Layer-level invariants the manifest cannot see: well-formed whiteouts, no overlay-private or empty
 * xattrs, no duplicate members (a char-device whiteout already fails the applier).
 */
export function layerProblems(members: readonly ListedMember[]): string[] {
  const out: string[] = [];
  for (const m of members) {
    const leaf = m.name.replace(/\/$/, '').split('/').pop() ?? '';
    if (leaf.startsWith('.wh.')) {
      const ok = m.type === 'file' && m.size === 0 && m.uid === 0 && m.gid === 0 && m.mode === 0 && m.mtime === 0 && m.linkname === '';
      if (!ok) out.push(`  malformed whiteout ${JSON.stringify(m)}`);
    }
    for (const [name, value] of Object.entries(m.xattrs)) {
      if (/^(trusted\.overlay\.|user\.overlay\.|user\.fuseoverlayfs\.)/.test(name)) out.push(`  ${m.name} carries ${name}`);
      if (value === '') out.push(`  ${m.name} has an empty ${name}`);
    }
  }
  const names = members.map((m) => m.name);
  const dups = names.filter((n, i) => names.indexOf(n) !== i);
  if (dups.length > 0) out.push(`  duplicate members ${JSON.stringify([...new Set(dups)])}`);
  return out;
}

/** Everything needed to reproduce `c` by hand, as one printable block. */
export function describeCase(c: FuzzCase): string {
  const lines = [`seed ${c.seed}, mode ${c.mode}, ${c.lowerCount} lower(s)${c.squash === undefined ? '' : ', L0 squashed (roundTrip(1))'}`];
  lines.push('--- prepare (real root, bare lowers $L0..; L0 topmost) ---', c.prepare);
  if (c.features.length > 0) lines.push(`features ${c.features.join(',')} on every mount; diff ${c.withWorkdir ? 'with' : 'without'} --workdir`);
  c.chain.forEach((script, i) => {
    if (script !== undefined) lines.push(`--- changeAsUpper(${i}) (L${i} as upper over L${i + 1}.., run bottom first) ---`, script);
  });
  if (c.fixup !== undefined) lines.push('--- fixup after the chain (real root) ---', c.fixup);
  if (c.squash !== undefined) lines.push('--- changeAsUpper(0) (L0 as upper over L1..) ---', c.squash);
  lines.push('--- change (cwd = merged view) ---', c.change);
  return lines.join('\n');
}

export interface CaseOptions {
  /** Also parse the layer and check whiteout form and private xattrs (one more process). */
  readonly checkLayer: boolean;
}

/** How one case ended: the round trip held, the differ refused (exit 3, E_UNSUPPORTED_OVERLAY), or anything else. */
export type Outcome =
  | { readonly kind: 'correct' }
  | { readonly kind: 'refused'; readonly reason: string; readonly report: string }
  | { readonly kind: 'wrong'; readonly report: string };

/** Runs `c` in its own scenario dir (always removed) and returns a failure report, or undefined when the round trip holds. */
export function runCase(c: FuzzCase, options: CaseOptions): string | undefined {
  const outcome = classifyCase(c, options);
  return outcome.kind === 'correct' ? undefined : outcome.report;
}

/** The refusal message with paths and sizes left out, so refusals of one kind count together. */
export function refusalReason(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.startsWith('overlaydiff: ')) ?? stderr.trim();
  return line
    .replace(/^overlaydiff: /, '')
    .replace(/ \[E_UNSUPPORTED_OVERLAY\]$/, '')
    .replace(/\/tmp\/overlaydiff-native-[^\s:,]*/g, 'PATH')
    .replace(/\d+/g, 'N');
}

/** Runs `c` in its own scenario dir (always removed) and says how it ended. */
export function classifyCase(c: FuzzCase, options: CaseOptions): Outcome {
  const s = new Scenario(c.mode, c.lowerCount);
  const features = [...c.features];
  try {
    s.prepare(c.prepare);
    for (let i = c.chain.length - 1; i >= 0; i--) {
      const script = c.chain[i];
      if (script !== undefined) s.changeAsUpper(i, script, features);
    }
    if (c.fixup !== undefined) s.prepare(c.fixup);
    if (c.squash !== undefined) s.changeAsUpper(0, c.squash);
    s.change(c.change, features);
    const diff = s.diff(c.withWorkdir ? ['--workdir', s.work] : [], 'layer.tar', c.squash === undefined ? 0 : 1);
    if (diff.code !== 0) {
      const report = `${describeCase(c)}\n--- overlaydiff exited ${diff.code} ---\n${diff.stderr}`;
      return diff.stderr.includes('[E_UNSUPPORTED_OVERLAY]') ? { kind: 'refused', reason: refusalReason(diff.stderr), report } : { kind: 'wrong', report };
    }
    // Lowers that were uppers of feature mounts are merged as the kernel does only with those options.
    const lowerOptions = features.length === 0 ? [] : LOWER_OPTIONS;
    const problems = manifestDifferences(s.mergedManifest(), s.appliedManifest(diff.layer, c.squash === undefined ? 0 : 1, lowerOptions));
    if (options.checkLayer) problems.push(...layerProblems(listTar(diff.layer)));
    if (problems.length === 0) return { kind: 'correct' };
    return { kind: 'wrong', report: `${describeCase(c)}\n--- differences (merged view = truth vs applied layer) ---\n${problems.join('\n')}` };
  } catch (err) {
    return { kind: 'wrong', report: `${describeCase(c)}\n--- harness error ---\n${err instanceof Error ? err.message : String(err)}` };
  } finally {
    s.cleanup();
  }
}

/**
 * Puts the real interpreter's directory first on PATH when `python3` is a version-manager shim
 * (pyenv's costs ~60 ms per start; the harness starts Python three or four times per case).
 */
export function preferRealPython(): void {
  try {
    const exe = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const dir = dirname(exe);
    const path = process.env['PATH'] ?? '';
    if (exe !== '' && !path.split(':').slice(0, 1).includes(dir)) process.env['PATH'] = `${dir}:${path}`;
  } catch {
    // No python3 at all: the harness will report it on first use.
  }
}
