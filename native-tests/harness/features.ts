// Round trips on overlays mounted with redirect_dir, metacopy and index (lowers made by earlier such mounts).
import { expect } from 'vitest';
import { expectSameTree, expectWellFormedWhiteouts, listTar, type ListedMember } from './layer.js';
import type { Scenario } from './overlay.js';

/** Every feature the upperdir alone does not describe. */
export const FEATURES = ['redirect_dir=on', 'metacopy=on', 'index=on'] as const;
/** A lower-only mount merges lowers that were feature uppers only with these (index needs an upper). */
export const LOWER_OPTIONS = ['redirect_dir=on', 'metacopy=on'];

/** Diffs with the workdir, checks the round trip against a fresh mount and that no member repeats; returns the members. */
export function featureRoundTrip(s: Scenario): ListedMember[] {
  const diff = s.diff(['--workdir', s.work]);
  expect(diff.code, diff.stderr).toBe(0);
  expectSameTree(s.mergedManifest(), s.appliedManifest(diff.layer, 0, LOWER_OPTIONS));
  const members = listTar(diff.layer);
  expectWellFormedWhiteouts(members);
  const names = members.map((m) => m.name);
  expect(
    names.filter((n, i) => names.indexOf(n) !== i),
    'duplicate members',
  ).toEqual([]);
  return members;
}
