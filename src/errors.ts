// Typed errors: one stable code per failure class, a message naming the path and the cause.

/**
 * Stable error codes (the CLI maps them to exit status, `overlaydiff serve` to gRPC status):
 * - `E_USAGE`: a bad option, argument or value;
 * - `E_NOT_FOUND`: a path, tag or blob that does not exist;
 * - `E_NOT_DIRECTORY`: a path that must be a directory (an upperdir, a lowerdir, an apply target, an
 *   output directory, a directory a layer member lies in) is something else, or a component of it
 *   is (ENOTDIR). It is the one code for "not a directory", whatever the role of the path;
 * - `E_IO`: any other system error, its errno in the message and the Node error as `cause`;
 * - `E_FILE_CHANGED`: a file changed while it was read into a layer;
 * - `E_UNSUPPORTED_OVERLAY`: an overlay feature or shape that cannot be diffed or applied exactly;
 * - `E_UNREPRESENTABLE`: something a tar layer cannot carry;
 * - `E_ABORTED`: the operation's `signal` fired; the signal's reason is the `cause`;
 * - `E_BAD_ARCHIVE`: a malformed layer, layout or digest mismatch;
 * - `E_UNSAFE_PATH`: a layer member that would write outside its target;
 * - `E_PERMISSION`: the process lacks a privilege the operation needs (e.g. `trusted.*` xattrs);
 * - `E_UNAVAILABLE`: this installation lacks a capability (zstd with neither node:zlib's nor
 *   zstd-napi): not a fault of the input;
 * - `E_INTERNAL`: a broken invariant of overlaydiff itself: a bug, never a layer.
 */
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
  | 'E_UNAVAILABLE'
  | 'E_INTERNAL';

/**
 * The error every overlaydiff function throws or rejects with: a stable `code`, a message saying
 * what failed, where and what to do, the path it concerns and the underlying error as `cause`.
 */
export class OverlaydiffError extends Error {
  /** The failure class; stable across releases. */
  readonly code: ErrorCode;
  /** The path the error concerns, as {@link displayPath} renders it, when there is one. */
  readonly path: string | undefined;

  /**
   * @param code - The failure class.
   * @param message - What failed, where and what to do.
   * @param options - `path`: the path concerned; `cause`: the error that caused it.
   */
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

/**
 * Wraps a system error with the path and what was being done: `<path>: cannot <what>: <reason>`.
 * ENOENT is E_NOT_FOUND, ENOTDIR E_NOT_DIRECTORY, anything else E_IO.
 */
export function ioError(what: string, path: Buffer | string, err: unknown): OverlaydiffError {
  const code = errnoCode(err);
  const mapped: ErrorCode = code === 'ENOENT' ? 'E_NOT_FOUND' : code === 'ENOTDIR' ? 'E_NOT_DIRECTORY' : 'E_IO';
  return new OverlaydiffError(mapped, `${displayPath(path)}: cannot ${what}: ${systemErrorReason(err, path)}`, { path, cause: err });
}

/**
 * The reason of a system error without the path the message already starts with: Node's fs errors
 * read `ENOENT: no such file or directory, stat '/x'`, which would name `/x` twice. The path is
 * kept when it is another one (the error is about a file below `path`, or names a second path).
 */
function systemErrorReason(err: unknown, path: Buffer | string): string {
  if (!(err instanceof Error)) return String(err);
  const { message } = err;
  const errPath: unknown = 'path' in err ? err.path : undefined;
  const syscall: unknown = 'syscall' in err ? err.syscall : undefined;
  if (typeof syscall !== 'string' || 'dest' in err) return message;
  if (typeof errPath !== 'string' && !Buffer.isBuffer(errPath)) return message;
  if (displayPath(errPath) !== displayPath(path)) return message;
  const suffix = message.lastIndexOf(`, ${syscall} '`);
  return suffix < 0 ? message : `${message.slice(0, suffix)} (${syscall})`;
}

/**
 * The E_ABORTED error an operation rejects with when `signal` fired: the signal's reason itself
 * when it already is one (the CLI aborts with such a reason), else a new one with the reason as
 * `cause` and in the message.
 */
export function abortedError(signal: AbortSignal): OverlaydiffError {
  const reason: unknown = signal.reason;
  if (reason instanceof OverlaydiffError && reason.code === 'E_ABORTED') return reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'the signal fired' : String(reason);
  return new OverlaydiffError('E_ABORTED', `aborted: ${why}`, { cause: reason });
}

/** Throws {@link abortedError} when `signal` has fired; call it once per entry. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortedError(signal);
}

/**
 * Runs `operation` and, when `signal` fired before it settled, rejects with E_ABORTED whatever
 * the abort broke deeper down (a stream's AbortError, a half-read file): every public operation
 * ends this way on abort, so a caller tests one code.
 */
export async function abortable<T>(signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
  throwIfAborted(signal);
  try {
    return await operation();
  } catch (err) {
    if (signal?.aborted === true) throw abortedError(signal);
    throw err;
  }
}

/** Passes `source` through, ending it with E_ABORTED (as {@link abortable}) when `signal` fires. */
export async function* abortableStream<T>(signal: AbortSignal | undefined, source: AsyncIterable<T>): AsyncGenerator<T> {
  throwIfAborted(signal);
  try {
    yield* source;
  } catch (err) {
    if (signal?.aborted === true) throw abortedError(signal);
    throw err;
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
