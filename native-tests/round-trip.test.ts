// The kernel is the ground truth: changes made through a real merged view, diffed, applied onto the
// lowers' merged view by an independent applier, must reproduce the snapshot's merged view.
import { describe, expect, it } from 'vitest';
import { expectNoPrivateXattrs, expectSameTree, expectWellFormedWhiteouts, listTar, memberNames } from './harness/layer.js';
import { canRun, forModes } from './harness/preflight.js';
import { useScenarios } from './harness/scenarios.js';

const scenario = useScenarios();

describe.each(['trusted', 'user'] as const)('round trip on a %s overlay', (mode) => {
  it.runIf(canRun(mode))('reproduces a mixed change set: edits, deletes, replaced dirs, links, fifos, odd names', () => {
    const s = scenario(mode);
    s.prepare(`
      mkdir -p $L0/etc $L0/app/lib/deep $L0/var/log $L0/swap/dir2file $L0/keep
      echo motd > $L0/etc/motd; echo v1 > $L0/app/version; echo lib > $L0/app/lib/deep/x.so
      echo log > $L0/var/log/a.log; echo f > $L0/swap/file2dir; touch $L0/swap/dir2file/inner
      echo tool > $L0/app/tool; ln -s /nonexistent $L0/app/dangling; ln -s motd $L0/etc/motd.link
      touch -d @1600000000 $L0/keep
    `);
    s.change(`
      echo v2 >> app/version
      rm etc/motd app/dangling
      rm -rf app/lib && mkdir -p app/lib/new && echo n > app/lib/new/y.so
      rm -rf var/log && mkdir var/log
      rm swap/file2dir && mkdir swap/file2dir && echo in > swap/file2dir/f
      rm -rf swap/dir2file && echo now-a-file > swap/dir2file
      ln app/tool app/tool.hard
      echo a > new1 && ln new1 new2
      ln -sf ../etc/motd.link app/relative-link
      chmod 0700 etc; chmod 4755 app/version
      mkfifo fifo
      setfattr -n user.note -v "$(printf 'line1\\nline2')" new1
      echo bytes > "$(printf 'non-utf8-\\377\\376')"
      mkdir -p "$(printf 'd%.0s' $(seq 1 120))" && echo long > "$(printf 'd%.0s' $(seq 1 120))/$(printf 'f%.0s' $(seq 1 150))"
      touch -d @1700000000 keep/new-in-kept
    `);
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    const members = listTar(diff.layer);
    expectWellFormedWhiteouts(members);
    expectNoPrivateXattrs(members);
    const names = members.map((m) => m.name);
    expect(names).toContain('app/lib/.wh..wh..opq');
    expect(names).toContain('var/log/.wh..wh..opq');
    expect(names).toContain('non-utf8-\\xff\\xfe');
    expect(names).not.toContain('swap/file2dir/.wh..wh..opq');
  });

  it.runIf(canRun(mode))('round-trips a 3-lower stack with whiteouts and opaque dirs inside the lowers', () => {
    const s = scenario(mode, 3);
    const ns = mode === 'trusted' ? 'trusted' : 'user';
    s.prepare(`
      mkdir -p $L2/a $L2/o; echo 2 > $L2/a/f; echo 2 > $L2/a/hidden; echo 2 > $L2/o/old; echo 2 > $L2/top
      mkdir -p $L1/a $L1/o; mknod $L1/a/hidden c 0 0; echo 1 > $L1/o/new
      python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], b"y")' $L1/o ${ns}.overlay.opaque
      mkdir -p $L0/a; echo 0 > $L0/a/g
    `);
    s.change(`
      echo x > a/hidden; rm a/hidden
      rm o/new; rm a/f; echo changed > top
    `);
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    const names = listTar(diff.layer).map((m) => m.name);
    expect(names).not.toContain('a/.wh.hidden'); // whited out in L1: not visible below the upper
    expect(names).toContain('a/.wh.f');
    expect(names).toContain('o/.wh.new');
    expect(names).not.toContain('o/.wh.old'); // hidden by the opaque L1/o
  });
});

describe('excluded paths', () => {
  forModes(['trusted', 'user'] as const, '%s: an excluded path is neither emitted nor whited out, with its subtree', (mode) => {
    const s = scenario(mode);
    s.prepare('mkdir -p $L0/cache/sub $L0/logs; echo c > $L0/cache/sub/old; echo l > $L0/logs/a.log; echo k > $L0/keep');
    s.change('rm cache/sub/old; echo n > cache/new; rm logs/a.log; echo b > logs/b.log; echo t > logs/b.txt; rm keep');
    const r = s.diff(['--exclude', 'cache', '--exclude', 'logs/*.log']);
    expect(r.code).toBe(0);
    expect(memberNames(r.layer)).toEqual(['.wh.keep', 'logs/', 'logs/b.txt']);
  });
});

describe('directories the layer must recreate', () => {
  forModes(['trusted', 'user'] as const, '%s: a removed xattr of a lower dir does not survive the apply', (mode) => {
    const s = scenario(mode);
    s.prepare(`mkdir -p $L0/d/sub $L0/o; echo x > $L0/d/x; echo y > $L0/d/sub/y; echo o > $L0/o/old
      python3 -c 'import os,sys; [os.setxattr(p, "user.k", b"v") for p in sys.argv[1:]]' $L0/d $L0/o`);
    s.change('setfattr -x user.k d; echo new > d/new; rm d/sub/y; rm -rf o && mkdir o');
    const { merged, applied, diff } = s.roundTrip();
    expectSameTree(merged, applied);
    const names = memberNames(diff.layer);
    expect(names.slice(0, 2)).toEqual(['.wh.d', 'd/']);
    expect(names).toEqual(expect.arrayContaining(['d/x', 'd/sub/', 'd/new', '.wh.o', 'o/']));
    expect(names).not.toContain('o/.wh..wh..opq');
  });

  forModes(['trusted', 'user'] as const, '%s: a no-op copy-up of one name of a lower hardlink set splits the set', (mode) => {
    const s = scenario(mode);
    s.prepare('echo v1 > $L0/d; ln $L0/d $L0/e; touch -d @1600000000 $L0/d');
    s.change('chmod 644 d');
    const { merged, applied } = s.roundTrip();
    expectSameTree(merged, applied);
    expect(merged.hardlinks).toEqual([]);
  });
});
