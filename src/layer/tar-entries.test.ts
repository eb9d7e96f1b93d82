import { describe, expect, it } from 'vitest';
import { file } from '../../fixtures/entries.js';
import { entryMember, layerXattrs, whiteoutMember } from './tar-entries.js';
import { xattrList } from '../../fixtures/entries.js';

const noop = { onEmptyXattr: () => undefined };

describe('entryMember', () => {
  it('truncates mtimes to whole seconds instead of rounding', () => {
    const m = entryMember(file('f', '', { mtimeNs: 1_600_000_000_999_999_999n }), noop);
    expect(m.mtime).toBe(1_600_000_000n);
  });

  it('truncates pre-epoch mtimes toward negative infinity', () => {
    expect(entryMember(file('f', '', { mtimeNs: -500_000_000n }), noop).mtime).toBe(-1n);
  });

  it('clamps mtimes to SOURCE_DATE_EPOCH and leaves older ones alone', () => {
    const policy = { ...noop, sourceDateEpoch: 1_500_000_000n };
    expect(entryMember(file('f', '', { mtimeNs: 1_600_000_000_000_000_000n }), policy).mtime).toBe(1_500_000_000n);
    expect(entryMember(file('f', '', { mtimeNs: 1_400_000_000_000_000_000n }), policy).mtime).toBe(1_400_000_000n);
  });

  it('puts the whiteout next to the deleted name', () => {
    expect(whiteoutMember(Buffer.from('a/b/c')).path.toString()).toBe('a/b/.wh.c');
    expect(whiteoutMember(Buffer.from('top')).path.toString()).toBe('.wh.top');
  });
});

describe('layerXattrs', () => {
  it('drops overlay-private xattrs of both namespaces, escaped and fuse-overlayfs ones included', () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x0a, 0x00]);
    const kept = layerXattrs(
      xattrList({
        'trusted.overlay.origin': 'o',
        'trusted.overlay.overlay.foo': 'v',
        'user.overlay.opaque': 'y',
        'user.overlay.overlay.foo': 'v',
        'user.fuseoverlayfs.override_stat': '0:0:0755',
        'security.capability': cap,
        'user.plain': 'v',
        'user.overlayish': 'kept: not the overlay. prefix',
      }),
      noop,
    );
    expect(kept.map((x) => x.name.toString())).toEqual(['security.capability', 'user.overlayish', 'user.plain']);
    expect(kept[0]!.value.equals(cap)).toBe(true);
  });

  it('leaves out empty values and counts them', () => {
    let dropped = 0;
    const kept = layerXattrs(xattrList({ 'user.empty': '', 'user.full': 'x' }), { onEmptyXattr: () => dropped++ });
    expect(kept.map((x) => x.name.toString())).toEqual(['user.full']);
    expect(dropped).toBe(1);
  });
});
