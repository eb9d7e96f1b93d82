// Squashing several uppers: the layer equals the diff of their merged view against the lowers.
import { describe, expect } from 'vitest';
import { expectSameTree, expectWellFormedWhiteouts, listTar } from './harness/layer.js';
import { forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();

describe('squash of two uppers', () => {
  forModes(['trusted', 'user'] as const, '%s: a delete-then-recreate, a change undone and a whiteout of a squashed file', (mode) => {
    // L1 is the base; L0 becomes the lower upper, s.upper the top one.
    const s = scenario(mode, 2);
    s.prepare(`
      mkdir -p $L1/d/sub $L1/keep; echo base > $L1/d/x; echo base > $L1/d/sub/y; echo base > $L1/f; echo base > $L1/keep/k
    `);
    s.changeAsUpper(0, 'rm -rf d && mkdir d && echo new > d/x; echo tmp > scratch; echo one > f; mkdir made && echo m > made/m');
    s.change('rm scratch; echo two > f; rm made/m; echo top > d/top; rm keep/k');
    const { merged, applied, diff } = s.roundTrip(1);
    expectSameTree(merged, applied);
    const members = listTar(diff.layer);
    expectWellFormedWhiteouts(members);
    const names = members.map((m) => m.name);
    expect(names).toContain('d/.wh..wh..opq'); // opaque in the lower upper still hides the base
    expect(names).not.toContain('.wh.scratch'); // never existed in the base
    expect(names).not.toContain('made/.wh.m');
    expect(names).toContain('keep/.wh.k');
    expect(names.filter((n) => n === 'f')).toHaveLength(1);
  });
});
