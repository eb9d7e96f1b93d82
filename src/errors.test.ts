import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { OverlaydiffError, abortable, abortableStream, displayPath, ioError, throwIfAborted } from './errors.js';

describe('displayPath', () => {
  it('keeps valid UTF-8 and escapes other bytes', () => {
    expect(displayPath(Buffer.from('héllo/ok'))).toBe('héllo/ok');
    expect(displayPath(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\\xffb');
    expect(displayPath(Buffer.from([0xe2, 0x82]))).toBe('\\xe2\\x82');
  });

  it('escapes control characters, so a name cannot forge a line or a terminal escape', () => {
    expect(displayPath(Buffer.from('a\nb\x1b[31mc\x00d\x7f'))).toBe('a\\x0ab\\x1b[31mc\\x00d\\x7f');
    expect(displayPath(Buffer.from('x\u009by'))).toBe('x\\xc2\\x9by');
    expect(displayPath('dir\nname')).toBe('dir\\x0aname');
  });
});

function systemError(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a system error');
}

describe('ioError', () => {
  it('names the path once: the Node error repeats it, the wrapped message does not', () => {
    const missing = join(tmpdir(), `overlaydiff-missing-${process.pid}`);
    const cause = systemError(() => statSync(missing));
    expect((cause as Error).message).toContain(`'${missing}'`);
    const err = ioError('use upperdir', missing, cause);
    expect(err).toMatchObject({ code: 'E_NOT_FOUND', path: missing, cause });
    expect(err.message).toBe(`${missing}: cannot use upperdir: ENOENT: no such file or directory (stat)`);
    expect(err.message.split(missing)).toHaveLength(2);
  });

  it('keeps the path of a Node error about another file, and maps ENOTDIR to E_NOT_DIRECTORY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'overlaydiff-errors-'));
    try {
      const file = join(dir, 'file');
      writeFileSync(file, '');
      const cause = systemError(() => statSync(join(file, 'below')));
      const err = ioError('read entry', dir, cause);
      expect(err.code).toBe('E_NOT_DIRECTORY');
      expect(err.message).toBe(`${dir}: cannot read entry: ${(cause as Error).message}`);
      expect(err.message).toContain(join(file, 'below'));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('keeps a message without a path as is', () => {
    expect(ioError('lock', '/l', new Error('flock exited with 1')).message).toBe('/l: cannot lock: flock exited with 1');
  });
});

describe('abort', () => {
  it('turns whatever an abort broke into E_ABORTED with the reason as cause', async () => {
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const pending = abortable(controller.signal, async () => {
      controller.abort(reason);
      throw new DOMException('This operation was aborted', 'AbortError');
    });
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED', message: 'aborted: caller gave up', cause: reason });
  });

  it('rejects before running when the signal already fired, and keeps an E_ABORTED reason as is', async () => {
    const reason = new OverlaydiffError('E_ABORTED', 'interrupted');
    let ran = false;
    await expect(abortable(AbortSignal.abort(reason), async () => (ran = true))).rejects.toBe(reason);
    expect(ran).toBe(false);
    expect(() => throwIfAborted(AbortSignal.abort())).toThrow(expect.objectContaining({ code: 'E_ABORTED' }));
  });

  it('leaves other failures alone while the signal has not fired', async () => {
    const failure = new Error('disk on fire');
    await expect(abortable(new AbortController().signal, async () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('ends a stream with E_ABORTED when the signal fires mid-way', async () => {
    const controller = new AbortController();
    async function* source(): AsyncGenerator<number> {
      yield 1;
      controller.abort();
      controller.signal.throwIfAborted();
      yield 2;
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of abortableStream(controller.signal, source())) seen.push(n);
      })(),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(seen).toEqual([1]);
  });
});
