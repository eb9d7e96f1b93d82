// Diff: containerd's (left, right) mounts → the layer written by diffMounts, streamed into containerd's content store.
import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { MEDIA_TYPE_TAR_GZIP } from '../blob/compress.js';
import { WRITABLE_MEDIA_TYPES, compressionOfMediaType, isEncryptedMediaType } from '../blob/media-types.js';
import { diffMounts } from '../diff/diff-mounts.js';
import { resolveMounts } from '../mounts/containerd-mounts.js';
import { OverlaydiffError } from '../errors.js';
import type { DiffResult } from '../types.js';
import type { CallContext } from './call-context.js';
import { callMetadata, type ContainerdClient } from './containerd-client.js';
import { ContentWriter } from './content-writer.js';
import { GrpcError } from './grpc-status.js';
import { createLease, deleteLease } from './leases.js';
import type { ContentInfo, DiffRequest, WireDescriptor, WireMount } from './proto.js';

/** The blob's label that nerdctl commit, buildkit and the unpacker read the diffID from. */
export const UNCOMPRESSED_LABEL = 'containerd.io/uncompressed';

export interface DiffHandlerOptions {
  readonly client: ContainerdClient;
  /** How long our lease keeps a new blob from garbage collection. */
  readonly leaseExpireMs: number;
}

/** What the log line reports about a finished Diff. */
export interface DiffOutcome {
  readonly descriptor: WireDescriptor;
  readonly diffID: string;
  readonly existed: boolean;
}

/**
 * Answers a Diff: checks the media type and the mounts (UNIMPLEMENTED for what it cannot diff
 * exactly, so the diff service tries its next differ), takes a lease, streams the layer into the
 * ingest `ref`, commits it with the `containerd.io/uncompressed` label and returns the blob's
 * descriptor. On any failure the ingest is aborted and the lease deleted: no partial blob remains.
 */
export async function handleDiff(request: DiffRequest, ctx: CallContext, options: DiffHandlerOptions): Promise<DiffOutcome> {
  const mediaType = request.mediaType === '' ? MEDIA_TYPE_TAR_GZIP : request.mediaType;
  if (isEncryptedMediaType(mediaType) || compressionOfMediaType(mediaType) === undefined) {
    throw new GrpcError(status.UNIMPLEMENTED, `cannot write layers of media type ${mediaType} (supported: ${WRITABLE_MEDIA_TYPES.join(', ')})`);
  }
  const left = request.left.map(fromWire);
  const right = request.right.map(fromWire);
  try {
    resolveMounts(left, right);
  } catch (err) {
    if (err instanceof OverlaydiffError) throw new GrpcError(status.UNIMPLEMENTED, `cannot diff these mounts exactly: ${err.message}`, { cause: err });
    throw err;
  }
  const epoch = request.sourceDateEpoch ?? undefined;
  const { client } = options;
  const lease = await createLease(client, ctx.namespace, options.leaseExpireMs, ctx.signal);
  const ref = request.ref === '' ? `overlaydiff-${Date.now()}-${randomBytes(4).toString('hex')}` : request.ref;
  const writer = new ContentWriter(client, ctx.namespace, ref, lease);
  // A failed write must stop the differ too, not only the caller's cancel or deadline.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  writer.on('error', (err: Error) => stop.abort(err));
  try {
    const layer: DiffResult = await diffMounts({
      lower: left,
      upper: right,
      output: writer,
      mediaType,
      signal: stop.signal,
      ...(epoch === undefined ? {} : { sourceDateEpoch: epoch.seconds }),
    });
    const labels = { ...request.labels, [UNCOMPRESSED_LABEL]: layer.diffID };
    const { digest, size } = layer.descriptor;
    const committed = await writer.commit(digest, size, labels);
    if (committed === 'exists') {
      await ensureUncompressedLabel(client, ctx.namespace, layer, stop.signal);
      // Our lease holds nothing: the blob was there before this call.
      await deleteLease(client, ctx.namespace, lease);
    }
    return { descriptor: { mediaType, digest, size, annotations: {} }, diffID: layer.diffID, existed: committed === 'exists' };
  } catch (err) {
    const abortError = await writer.abort();
    await deleteLease(client, ctx.namespace, lease).catch(() => undefined);
    if (abortError !== undefined && err instanceof Error) err.message += ` (and removing the partial blob ${ref} failed: ${abortError})`;
    // The caller's cancel or deadline, not the error it caused inside the differ, is the answer.
    if (stop.signal.aborted && stop.signal.reason instanceof GrpcError) throw stop.signal.reason;
    throw err;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

// A blob that existed before may lack the label (walking's Compare sets it the same way).
async function ensureUncompressedLabel(client: ContainerdClient, namespace: string, layer: DiffResult, signal: AbortSignal): Promise<void> {
  const { digest } = layer.descriptor;
  const { info } = await client.unary<{ info: ContentInfo }>('content', 'Info', { digest }, callMetadata(namespace), signal);
  if (info.labels[UNCOMPRESSED_LABEL] !== undefined) return;
  const update = { info: { digest, labels: { [UNCOMPRESSED_LABEL]: layer.diffID } }, updateMask: { paths: [`labels.${UNCOMPRESSED_LABEL}`] } };
  await client.unary('content', 'Update', update, callMetadata(namespace), signal);
}

/** A wire mount as the mount validators take it (an empty target means the root). */
export function fromWire(mount: WireMount): { type: string; source: string; target?: string; options: string[] } {
  return { type: mount.type, source: mount.source, ...(mount.target === '' ? {} : { target: mount.target }), options: mount.options };
}
