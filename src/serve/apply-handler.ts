// Apply: a layer blob from containerd's content store → the hardened applier on the snapshot's mounts → the uncompressed descriptor.
import { status } from '@grpc/grpc-js';
import { MEDIA_TYPE_TAR } from '../blob/compress.js';
import { isSha256Digest } from '../blob/digest.js';
import { isApplicableMediaType, isEncryptedMediaType } from '../blob/media-types.js';
import { applyMounts } from '../apply/apply-mounts.js';
import { OverlaydiffError } from '../errors.js';
import { resolveApplyTarget, type ApplyTarget } from '../mounts/apply-target.js';
import type { CallContext } from './call-context.js';
import { readBlob } from './content-reader.js';
import type { ContainerdClient } from './containerd-client.js';
import { fromWire } from './diff-handler.js';
import { GrpcError } from './grpc-status.js';
import type { ApplyRequest, WireDescriptor } from './proto.js';

export interface ApplyOutcome {
  readonly descriptor: WireDescriptor;
  readonly target: ApplyTarget;
  /** Bytes of the blob as read. */
  readonly blobBytes: number;
}

/**
 * Answers an Apply: refuses stream-processor payloads and encrypted or unknown media types with
 * UNIMPLEMENTED (the diff service may try its next differ, which may have the processor), applies
 * the blob read from containerd (verified against its digest) to the one mount, and returns the
 * descriptor containerd's unpacker compares with the image's diff_id: media type
 * `application/vnd.oci.image.layer.v1.tar`, digest = sha256 of every decompressed byte.
 */
export async function handleApply(request: ApplyRequest, ctx: CallContext, client: ContainerdClient): Promise<ApplyOutcome> {
  const desc = request.diff;
  if (desc === undefined || desc === null || !isSha256Digest(desc.digest)) {
    throw new GrpcError(status.INVALID_ARGUMENT, `the layer descriptor needs a sha256 digest, got ${JSON.stringify(desc?.digest ?? null)}`);
  }
  const payloads = Object.keys(request.payloads);
  if (payloads.length > 0) {
    throw new GrpcError(
      status.UNIMPLEMENTED,
      `layer ${desc.digest}: stream processor payloads (${payloads.join(', ')}) are not supported; overlaydiff applies plain, gzip and zstd layers only`,
    );
  }
  if (isEncryptedMediaType(desc.mediaType) || !isApplicableMediaType(desc.mediaType)) {
    throw new GrpcError(
      status.UNIMPLEMENTED,
      `layer ${desc.digest}: media type ${desc.mediaType} is not supported (encrypted layers need a decrypting stream processor)`,
    );
  }
  const mounts = request.mounts.map(fromWire);
  let target: ApplyTarget;
  try {
    target = resolveApplyTarget(mounts);
  } catch (err) {
    if (err instanceof OverlaydiffError && err.code === 'E_UNSUPPORTED_OVERLAY') throw new GrpcError(status.UNIMPLEMENTED, err.message, { cause: err });
    throw err;
  }
  let blobBytes = 0;
  const result = await applyMounts({
    layer: readBlob(client, ctx.namespace, desc.digest, ctx.signal),
    mounts,
    digest: desc.digest,
    syncFs: request.syncFs,
    signal: ctx.signal,
    onProgress: (progress) => {
      blobBytes = progress.bytes;
    },
  });
  return { descriptor: { mediaType: MEDIA_TYPE_TAR, digest: result.diffID, size: result.tarSize, annotations: {} }, target, blobBytes };
}
