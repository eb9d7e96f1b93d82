// diff = walk → classify → layer → tar → blob: streams one OCI layer for an overlay upperdir.
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createCompressor } from '../blob/compress.js';
import { DigestTap } from '../blob/digest.js';
import { writeTo } from '../blob/write-to.js';
import { writeAtomically } from '../fsio/atomic-write.js';
import { unmappedOwnerIds } from '../fsio/user-namespace.js';
import { buildLayer } from '../layer/build-layer.js';
import { emptyStats } from '../layer/stats.js';
import { ProgressCounter } from '../progress.js';
import { writeTar } from '../tar/writer.js';
import { abortable } from '../errors.js';
import type { DiffOptions, DiffResult } from '../types.js';
import { planDiff, snapshotTrees, type DiffPlan } from './options.js';
import { snapshotChanges } from './changes.js';

/**
 * Diffs an overlay upperdir against its lowerdirs and writes the layer in one streaming pass,
 * computing the diffID (uncompressed) and blob digest on the way. A path output is written to a
 * temporary name and renamed into place only when complete; a Writable output is ended on success
 * and left open on failure. Holds no global state: concurrent diffs in one process are independent.
 *
 * Resolves to the blob's pure OCI descriptor (what a manifest lists), the diffID of the tar and
 * the layer's stats. Rejects with an {@link OverlaydiffError}: E_USAGE, E_NOT_FOUND or
 * E_NOT_DIRECTORY for bad options, E_PERMISSION when the namespace's xattrs cannot be read,
 * E_UNSUPPORTED_OVERLAY for a snapshot that cannot be diffed exactly, E_FILE_CHANGED when a file
 * changes while read, E_ABORTED when `signal` fires.
 */
export async function diff(options: DiffOptions): Promise<DiffResult> {
  const plan = planDiff(options);
  const output = plan.output;
  return abortable(plan.signal, () => {
    if (typeof output === 'string') return writeAtomically(output, (out) => streamLayer(plan, out), snapshotTrees(plan));
    return streamLayer(plan, output);
  });
}

async function streamLayer(plan: DiffPlan, out: Writable): Promise<DiffResult> {
  const stats = emptyStats();
  const overflowIds = unmappedOwnerIds();
  const changes = snapshotChanges(plan, stats);
  // Squashed uppers may shadow names of a lower upper's hardlink set; only one upper has all its names.
  const members = buildLayer(changes, {
    stats,
    checkLinkCounts: plan.uppers.length === 1,
    ...(overflowIds === undefined ? {} : { overflowIds }),
    ...(plan.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: plan.sourceDateEpoch }),
  });
  const progress = new ProgressCounter(plan.onProgress);
  const tar = writeTar(
    members,
    () => {
      stats.entries++;
      progress.item();
    },
    plan.signal,
  );
  const diffTap = new DigestTap((length) => progress.addBytes(length));
  const compressor = createCompressor(plan.compression, plan.compressionLevel);
  const blobTap = compressor === undefined ? diffTap : new DigestTap();
  const signalOption = plan.signal === undefined ? {} : { signal: plan.signal };
  if (compressor === undefined) await pipeline(tar, diffTap, writeTo(out), signalOption);
  else await pipeline(tar, diffTap, compressor, blobTap, writeTo(out), signalOption);
  return {
    descriptor: {
      mediaType: plan.mediaType,
      digest: blobTap.digest,
      size: blobTap.size,
      annotations: { ...plan.annotations, 'containerd.io/uncompressed': diffTap.digest },
    },
    diffID: diffTap.digest,
    stats,
  };
}
