// Ownership seen from a user namespace: unmapped owners are reported, whiteouts stay 0:0.
import { describe, expect, it } from 'vitest';
import { listTar } from './harness/layer.js';
import { canRun } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();

describe('owners under user namespaces', () => {
  it.runIf(canRun('user'))('reports owners the namespace cannot map, and writes whiteouts as 0:0', () => {
    const s = scenario('user');
    s.prepare('touch $L0/gone; chown 1234:1234 $L0/gone');
    s.change('rm gone; echo mine > mine');
    // A file owned by an id outside the namespace's map, as left by another tool.
    s.prepare('echo theirs > $U/theirs; chown 1000:1000 $U/theirs');
    const rootless = s.diff();
    expect(rootless.code).toBe(0);
    expect(rootless.descriptor?.stats['unmappedOwners']).toBe(1);
    const members = listTar(rootless.layer);
    expect(members.find((m) => m.name === 'theirs')).toMatchObject({ uid: 65534, gid: 65534 });
    expect(members.find((m) => m.name === '.wh.gone')).toMatchObject({ uid: 0, gid: 0 });
    expect(members.find((m) => m.name === 'mine')).toMatchObject({ uid: 0, gid: 0 });
  });

  it.runIf(canRun('trusted'))('sees every owner as real in the initial namespace', () => {
    const s = scenario('trusted');
    s.prepare('echo theirs > $U/theirs; chown 1000:1000 $U/theirs');
    const r = s.diff();
    expect(r.descriptor?.stats['unmappedOwners']).toBe(0);
    expect(listTar(r.layer).find((m) => m.name === 'theirs')).toMatchObject({ uid: 1000, gid: 1000 });
  });
});
