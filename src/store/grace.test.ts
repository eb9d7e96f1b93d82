import { describe, expect, it } from 'vitest';
import { DEFAULT_GRACE_MS, parseDuration, planSweep, tempOwnerPid } from './grace.js';

const hex = (n: number): string => n.toString(16).padStart(64, '0');

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h', DEFAULT_GRACE_MS],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
  ])('reads %j as %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '1', 'h', '1x', '-1h', '1h ', ' 1h', '1.5h', 'h1'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('tempOwnerPid', () => {
  it('reads the writer pid from a temp name and ignores other names', () => {
    expect(tempOwnerPid('.tmp-1234-abcdef')).toBe(1234);
    expect(tempOwnerPid('.tmp-1234-abcdef.json')).toBe(1234);
    expect(tempOwnerPid('.tmp-x-abc')).toBeUndefined();
    expect(tempOwnerPid('index.json')).toBeUndefined();
  });
});

describe('planSweep', () => {
  const cutoff = 1_000_000;
  it('deletes only unreferenced blobs older than the cutoff; a referenced old blob stays', () => {
    const plan = planSweep(
      [
        { hex: hex(1), mtimeMs: 0 },
        { hex: hex(2), mtimeMs: 0 },
        { hex: hex(3), mtimeMs: cutoff + 1 },
        { hex: hex(4), mtimeMs: cutoff },
      ],
      [],
      new Set([`sha256:${hex(1)}`]),
      cutoff,
      () => false,
    );
    expect(plan.deleteBlobs).toEqual([hex(2)]);
    expect(plan.youngBlobs).toEqual([hex(3), hex(4)]);
  });

  it('never deletes a referenced blob, even with a zero grace period', () => {
    const plan = planSweep([{ hex: hex(7), mtimeMs: 0 }], [], new Set([`sha256:${hex(7)}`]), Number.MAX_SAFE_INTEGER, () => false);
    expect(plan.deleteBlobs).toEqual([]);
  });

  it('removes old temp files of dead writers only', () => {
    const plan = planSweep(
      [],
      [
        { name: '.tmp-10-aa', mtimeMs: 0 },
        { name: '.tmp-11-bb', mtimeMs: 0 },
        { name: '.tmp-10-cc', mtimeMs: cutoff + 5 },
        { name: '.tmp-foreign', mtimeMs: 0 },
      ],
      new Set(),
      cutoff,
      (pid) => pid === 11,
    );
    expect(plan.deleteTemps).toEqual(['.tmp-10-aa']);
    expect(plan.keptTemps).toEqual(['.tmp-11-bb', '.tmp-10-cc', '.tmp-foreign']);
  });
});
