// Typed errors: one stable code per failure class, a message naming the path and the cause.

/** Stable error codes; the CLI maps them to exit status. */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_NOT_FOUND'
  | 'E_NOT_DIRECTORY'
  | 'E_IO'
  | 'E_FILE_CHANGED'
  | 'E_UNSUPPORTED_OVERLAY'
  | 'E_UNREPRESENTABLE'
  | 'E_ABORTED'
  | 'E_BAD_ARCHIVE'
  | 'E_UNSAFE_PATH'
  | 'E_PERMISSION'
  /** A broken invariant of the differ itself (e.g. a layer member twice): a bug, never a layer. */
  | 'E_INTERNAL';

export class OverlaydiffError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: { path?: Buffer | string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OverlaydiffError';
    this.code = code;
    this.path = options.path === undefined ? undefined : displayPath(options.path);
  }
}

/**
 * Renders a byte path for humans: valid UTF-8 stays as is; every other byte, and every control
 * character (C0 such as NUL, newline and ESC; DEL; C1), becomes `\xNN` (each of its bytes), so a
 * message never hides which file it is about, and a name can neither forge a line of output nor
 * send escape sequences to a terminal.
 */
export function displayPath(path: Buffer | string): string {
  const bytes = typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const len = utf8SequenceLength(bytes, i);
    const text = len > 0 ? bytes.subarray(i, i + len).toString('utf8') : '';
    if (len > 0 && !isControl(text.codePointAt(0)!)) {
      out += text;
      i += len;
    } else if (len > 1) {
      for (const byte of bytes.subarray(i, i + len)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
      i += len;
    } else {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i += 1;
    }
  }
  return out;
}

function isControl(codePoint: number): boolean {
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
}

// Length of a valid UTF-8 sequence starting at i, or 0 when the bytes there are not one.
function utf8SequenceLength(buf: Buffer, i: number): number {
  const b0 = buf[i]!;
  if (b0 < 0x80) return 1;
  const len = b0 >= 0xf0 && b0 <= 0xf4 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 && b0 < 0xe0 ? 2 : 0;
  if (len === 0 || i + len > buf.length) return 0;
  const chunk = buf.subarray(i, i + len);
  return Buffer.from(chunk.toString('utf8'), 'utf8').equals(chunk) ? len : 0;
}

/** A usage error (exit status 2): a bad option, argument or value, explained in `message`. */
export function usageError(message: string): OverlaydiffError {
  return new OverlaydiffError('E_USAGE', message);
}

/** Errno code of a Node system error, or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Wraps a system error with the path and what was being done. */
export function ioError(what: string, path: Buffer | string, err: unknown): OverlaydiffError {
  const code = errnoCode(err);
  const mapped: ErrorCode = code === 'ENOENT' ? 'E_NOT_FOUND' : code === 'ENOTDIR' ? 'E_NOT_DIRECTORY' : 'E_IO';
  const reason = err instanceof Error ? err.message : String(err);
  return new OverlaydiffError(mapped, `${displayPath(path)}: cannot ${what}: ${reason}`, { path, cause: err });
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
