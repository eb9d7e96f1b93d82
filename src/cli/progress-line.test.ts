import { describe, expect, it } from 'vitest';
import { ProgressCounter } from '../progress.js';
import { formatBytes, formatProgress, progressLine, withProgressLine, type ProgressSink } from './progress-line.js';

/** A fake terminal (or pipe) that records writes, with a clock the test moves. */
function sink(isTTY: boolean, columns = 80): ProgressSink & { text: string } {
  const s = {
    isTTY,
    columns,
    text: '',
    write(t: string): boolean {
      s.text += t;
      return true;
    },
  };
  return s;
}

describe('progressLine', () => {
  it('draws on a terminal at most every 100 ms, overwriting its line, and erases it at the end', () => {
    const tty = sink(true);
    let t = 0;
    const line = progressLine('diff', 'entries', true, tty, () => t);
    const counter = new ProgressCounter(line.listener);
    counter.item();
    t = 50;
    counter.addBytes(1024);
    expect(tty.text).toBe(''); // a run shorter than 100 ms prints nothing
    t = 1000;
    counter.addBytes(1024 * 1024 - 1024);
    t = 1050;
    counter.item(); // within 100 ms of the last draw
    expect(tty.text).toBe('\roverlaydiff diff: 1 entries, 1.0 MiB, 1.0 MiB/s\x1b[K');
    t = 2000;
    counter.item();
    expect(tty.text.split('\r').at(-1)).toBe('overlaydiff diff: 3 entries, 1.0 MiB, 512.0 KiB/s\x1b[K');
    line.finish();
    expect(tty.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('is silent when the stream is not a terminal or progress is turned off', () => {
    for (const [isTTY, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const out = sink(isTTY);
      let t = 0;
      const line = progressLine('gc', 'deleted', enabled, out, () => t);
      expect(line.listener).toBeUndefined();
      t = 5000;
      line.finish();
      expect(out.text).toBe('');
    }
  });

  it('fits the line to the terminal width', () => {
    const narrow = sink(true, 20);
    let t = 0;
    const line = progressLine('fsck', 'blobs', true, narrow, () => t);
    t = 200;
    line.listener!({ items: 123_456, bytes: 5 * 1024 ** 3 });
    expect(narrow.text).toBe('\roverlaydiff fsck: 1\x1b[K');
  });

  it('erases the line even when the run fails', async () => {
    const tty = sink(true);
    let t = 0;
    const failing = withProgressLine(
      'apply',
      'entries',
      true,
      async (listener) => {
        t = 500;
        listener!({ items: 7, bytes: 2048 });
        throw new Error('boom');
      },
      tty,
      () => t,
    );
    await expect(failing).rejects.toThrow('boom');
    expect(tty.text).toBe('\roverlaydiff apply: 7 entries, 2.0 KiB, 4.0 KiB/s\x1b[K\r\x1b[K');
  });
});

describe('formatProgress', () => {
  it('shows bytes and their rate, or the item rate for work without bytes', () => {
    expect(formatProgress({ items: 12_345, bytes: 3 * 1024 ** 3 }, 'entries', 2)).toBe('12,345 entries, 3.0 GiB, 1.5 GiB/s');
    expect(formatProgress({ items: 1_234, bytes: 0 }, 'deleted', 2)).toBe('1,234 deleted, 617/s');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});
