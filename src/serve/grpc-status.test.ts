import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { OverlaydiffError } from '../errors.js';
import { GrpcError, toStatus } from './grpc-status.js';

describe('toStatus', () => {
  it('answers UNIMPLEMENTED for what overlaydiff cannot do exactly, so the diff service tries its next differ', () => {
    const err = new OverlaydiffError('E_UNSUPPORTED_OVERLAY', 'upper[0].type: unsupported mount type "erofs"');
    expect(toStatus(err, undefined)).toEqual({
      code: status.UNIMPLEMENTED,
      details: 'overlaydiff: upper[0].type: unsupported mount type "erofs" [E_UNSUPPORTED_OVERLAY]',
    });
  });

  it('maps hostile or bad archives to INVALID_ARGUMENT and keeps the message verbatim', () => {
    expect(toStatus(new OverlaydiffError('E_UNSAFE_PATH', '../x: refused'), undefined)).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'overlaydiff: ../x: refused [E_UNSAFE_PATH]',
    });
    expect(toStatus(new OverlaydiffError('E_BAD_ARCHIVE', 'truncated'), undefined).code).toBe(status.INVALID_ARGUMENT);
    expect(toStatus(new OverlaydiffError('E_IO', 'disk full'), undefined).code).toBe(status.INTERNAL);
  });

  it("reports the call's abort reason, not the error it caused inside the differ", () => {
    const deadline = new GrpcError(status.DEADLINE_EXCEEDED, "the caller's deadline passed");
    expect(toStatus(new OverlaydiffError('E_ABORTED', 'aborted'), deadline)).toEqual({
      code: status.DEADLINE_EXCEEDED,
      details: "overlaydiff: the caller's deadline passed",
    });
  });

  it('keeps the code of a GrpcError and turns anything else into INTERNAL', () => {
    expect(toStatus(new GrpcError(status.UNAVAILABLE, 'containerd at /x: down'), undefined)).toEqual({
      code: status.UNAVAILABLE,
      details: 'overlaydiff: containerd at /x: down',
    });
    expect(toStatus(new Error('boom'), undefined)).toEqual({ code: status.INTERNAL, details: 'overlaydiff: boom' });
  });
});
