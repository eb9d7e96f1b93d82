// Maps failures to gRPC status codes and texts: containerd shows the text verbatim as `ctr: <details>`.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { OverlaydiffError, assertNever, type ErrorCode } from '../errors.js';

/** A failure with the gRPC status it answers (a handler's own decision, or containerd's answer passed on). */
export class GrpcError extends Error {
  readonly code: status;

  constructor(code: status, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GrpcError';
    this.code = code;
  }
}

/** True for an error a gRPC client call rejected with (it carries a numeric `code` and `details`). */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && 'code' in err && typeof err.code === 'number' && 'details' in err;
}

function codeFor(code: ErrorCode): status {
  switch (code) {
    // The diff service moves on to its next differ only on UNIMPLEMENTED: shapes and features we cannot do exactly.
    case 'E_UNSUPPORTED_OVERLAY':
    case 'E_UNAVAILABLE':
      return status.UNIMPLEMENTED;
    case 'E_USAGE':
    case 'E_BAD_ARCHIVE':
    case 'E_UNSAFE_PATH':
      return status.INVALID_ARGUMENT;
    case 'E_NOT_FOUND':
      return status.NOT_FOUND;
    case 'E_NOT_DIRECTORY':
    case 'E_UNREPRESENTABLE':
    case 'E_FILE_CHANGED':
      return status.FAILED_PRECONDITION;
    case 'E_ABORTED':
      return status.CANCELLED;
    case 'E_PERMISSION':
      return status.PERMISSION_DENIED;
    case 'E_IO':
    case 'E_INTERNAL':
      return status.INTERNAL;
    default:
      return assertNever(code);
  }
}

/**
 * The status a failed call answers. `aborted` is the call's abort reason when its signal fired (the
 * caller cancelled, its deadline passed, or the server is stopping): that, not the error it caused
 * deeper down, is what the caller is told.
 */
export function toStatus(err: unknown, aborted: unknown): { code: status; details: string } {
  const cause = aborted instanceof GrpcError ? aborted : err;
  if (cause instanceof GrpcError) return { code: cause.code, details: `overlaydiff: ${cause.message}` };
  if (cause instanceof OverlaydiffError) return { code: codeFor(cause.code), details: `overlaydiff: ${cause.message} [${cause.code}]` };
  const message = cause instanceof Error ? cause.message : String(cause);
  return { code: status.INTERNAL, details: `overlaydiff: ${message}` };
}

/** The error object grpc-js sends as a call's status. */
export function serviceError(code: status, details: string): Partial<ServiceError> {
  return { code, details, metadata: new Metadata() };
}
