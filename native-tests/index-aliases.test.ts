// index=on: the kernel serves every lower name of a copied-up hardlink set from workdir/index, also
// names the upperdir has no entry for; the layer must carry them (wrong layers found by random runs).
import { describe, expect } from 'vitest';
import { FEATURES, featureRoundTrip } from './harness/features.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();
const SET = 'echo data > $L0/h1; ln $L0/h1 $L0/h2; ln $L0/h1 $L0/h3; mkdir $L0/d; ln $L0/h1 $L0/d/h4; touch -d @1600000000 $L0/h1';

describe('index=on aliases served from the workdir index', () => {
  forModes(['trusted'] as const, '%s: the copied-up name is removed: the other names keep its new mode, xattr and content', () => {
    const s = scenario('trusted');
    s.prepare(SET);
    s.change('chmod 600 h1 && setfattr -n user.k -v new h1 && echo more >> h1 && rm h1', [...FEATURES]);
    const members = featureRoundTrip(s);
    // d/h4 comes first in canonical order, so it carries the copy's data; the others link to it.
    expect(members.find((m) => m.name === 'd/h4')).toMatchObject({ type: 'file', mode: 0o600, size: 10, xattrs: { 'user.k': '6e6577' } });
    expect(members.map((m) => [m.name, m.type, m.linkname])).toEqual(
      expect.arrayContaining([
        ['.wh.h1', 'file', ''],
        ['h2', 'hardlink', 'd/h4'],
        ['h3', 'hardlink', 'd/h4'],
      ]),
    );
  });

  forModes(['trusted'] as const, '%s: the copied-up name is replaced by a new file and a metacopy copy (chmod) lives only in the index', () => {
    const s = scenario('trusted');
    s.prepare(SET);
    s.change('chown 7:8 h2 && setcap cap_net_raw+ep h2 && rm h2 && echo new > h2; mv d e', [...FEATURES]);
    const members = featureRoundTrip(s);
    // e/h4 (inside the renamed dir, walked from the lowers) comes first and carries the copy.
    expect(members.find((m) => m.name === 'e/h4')).toMatchObject({ type: 'file', uid: 7, gid: 8, size: 5 });
    expect(members.find((m) => m.name === 'e/h4')?.xattrs['security.capability']).toBeDefined();
    expect(members.find((m) => m.name === 'h1')).toMatchObject({ type: 'hardlink', linkname: 'e/h4' });
    expect(members.find((m) => m.name === 'h2')).toMatchObject({ type: 'file', size: 4 });
  });

  forModes(['trusted'] as const, '%s: two upper names of one indexed set and a lower alias: each name once', () => {
    const s = scenario('trusted');
    s.prepare(SET);
    // The append copies h1 up into the index; the touch links h2 to that copy (ovl_link_up); h3 stays in the lower.
    s.change('echo more >> h1; touch h2; ln h1 h5', [...FEATURES]);
    const members = featureRoundTrip(s);
    expect(members.filter((m) => m.name === 'h3')).toHaveLength(1);
  });

  forModes(['trusted'] as const, '%s: without the workdir an index=on upperdir is refused, naming --workdir', () => {
    const s = scenario('trusted');
    s.prepare(SET);
    s.change('rm h1', [...FEATURES]);
    const diff = s.diff([]);
    expect(diff.code).toBe(1);
    expect(diff.stderr).toMatch(/index=on.*pass --workdir.*\[E_UNSUPPORTED_OVERLAY\]/);
  });
});
