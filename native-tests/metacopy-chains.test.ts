// Lowers that were upperdirs of redirect_dir/metacopy mounts (a snapshotter's committed chain):
// data from the layer that holds it, metadata from the topmost copy (wrong layers found by random runs).
import { describe, expect } from 'vitest';
import { FEATURES, featureRoundTrip } from './harness/features.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();

describe('metacopy chains and redirects in the lowers', () => {
  forModes(['trusted'] as const, '%s: a metacopy upper over a metacopy lower over a renamed metacopy: data from the bottom, metadata from the top', () => {
    const s = scenario('trusted', 3);
    s.prepare('echo bottom-data > $L2/f; echo other > $L2/g; mkdir -p $L2/dir/sub; echo deep > $L2/dir/sub/x');
    s.changeAsUpper(1, 'chmod 640 f; setcap cap_net_raw+ep g && mv g g2; mv dir dir2', [...FEATURES]);
    s.changeAsUpper(0, 'chown 5:5 f; setfattr -n user.k -v v g2 && mv g2 g3; chmod 700 dir2/sub/x', [...FEATURES]);
    s.change('setfattr -n user.top -v t f; chmod 600 g3; touch -d @1600000000 dir2/sub/x; chmod 444 dir2/sub/x', [...FEATURES]);
    const members = featureRoundTrip(s);
    expect(members.find((m) => m.name === 'f')).toMatchObject({ mode: 0o640, uid: 5, size: 12, xattrs: { 'user.top': '74' } });
    const g3 = members.find((m) => m.name === 'g3');
    expect(g3).toMatchObject({ mode: 0o600, size: 6 });
    expect(g3?.xattrs['security.capability']).toBeDefined();
    expect(members.find((m) => m.name === 'dir2/sub/x')).toMatchObject({ mode: 0o444, size: 5 });
  });

  forModes(['trusted'] as const, '%s: a renamed metacopy file whose data was copied up later: its own data, the old name whited out', () => {
    const s = scenario('trusted');
    s.prepare('echo lower > $L0/f; echo keep > $L0/k');
    s.change('chmod 600 f && mv f g && echo more >> g', [...FEATURES]);
    const members = featureRoundTrip(s);
    expect(members.find((m) => m.name === 'g')).toMatchObject({ type: 'file', mode: 0o600, size: 11 });
    expect(members.map((m) => m.name)).toContain('.wh.f');
  });

  forModes(['trusted'] as const, '%s: a directory renamed in a lower and copied up above it merges with its origin', () => {
    const s = scenario('trusted', 2);
    s.prepare('mkdir -p $L1/old/in; echo a > $L1/old/a; echo b > $L1/old/in/b; echo c > $L1/c');
    s.changeAsUpper(0, 'mv old new; mv c new/c', [...FEATURES]);
    s.change('chmod 700 new; echo more >> new/in/b; mv new/a new/a2; rm new/c', [...FEATURES]);
    const members = featureRoundTrip(s);
    expect(members.find((m) => m.name === 'new/in/b')).toMatchObject({ size: 7 });
    expect(members.map((m) => m.name)).toEqual(expect.arrayContaining(['new/.wh.a', 'new/a2', 'new/.wh.c']));
  });
});
