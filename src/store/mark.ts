// Mark phase of GC (and fsck's reference walk): the set of blobs reachable from the index's descriptors.
import { isIndex, isIndexMediaType, isManifest, isManifestMediaType, type OciDescriptor } from './oci-types.js';
import { isSha256Digest } from '../blob/digest.js';

/** What loading a JSON blob gave: its parsed value, or why it could not be read. */
export type LoadResult =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface MarkResult {
  /** Every reachable descriptor by digest (the first one met for each digest). */
  readonly reachable: Map<string, OciDescriptor>;
  /** Reachable digests whose blob does not exist (only indexes and manifests are loaded, so only those are found here). */
  readonly missing: string[];
  /** Reachable indexes/manifests that could not be parsed, or descriptors with an unusable digest. */
  readonly invalid: { readonly digest: string; readonly reason: string }[];
}

/**
 * Walks every descriptor reachable from `roots`: nested indexes, manifests, their configs, layers
 * and `subject`s. Only indexes and manifests are loaded (through `load`), each once; the walk
 * never looks at ages or tags, so what it returns is the complete inventory of references.
 * A caller that deletes must refuse to when `missing` or `invalid` is non-empty: an unreadable
 * manifest hides what it references.
 */
export function markReachable(roots: readonly OciDescriptor[], load: (descriptor: OciDescriptor) => LoadResult): MarkResult {
  const reachable = new Map<string, OciDescriptor>();
  const missing: string[] = [];
  const invalid: { digest: string; reason: string }[] = [];
  const pending: OciDescriptor[] = [...roots].reverse();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const descriptor = next;
    if (!isSha256Digest(descriptor.digest)) {
      invalid.push({ digest: String(descriptor.digest), reason: 'not a sha256 digest' });
      continue;
    }
    if (reachable.has(descriptor.digest)) continue;
    reachable.set(descriptor.digest, descriptor);
    const isIndexType = isIndexMediaType(descriptor.mediaType);
    if (!isIndexType && !isManifestMediaType(descriptor.mediaType)) continue;
    const loaded = load(descriptor);
    if (loaded.kind === 'missing') {
      missing.push(descriptor.digest);
      continue;
    }
    if (loaded.kind === 'invalid') {
      invalid.push({ digest: descriptor.digest, reason: loaded.reason });
      continue;
    }
    const children = childrenOf(loaded.value, isIndexType);
    if (children === undefined) {
      invalid.push({ digest: descriptor.digest, reason: `not a valid ${isIndexType ? 'image index' : 'image manifest'}` });
      continue;
    }
    for (const child of [...children].reverse()) pending.push(child);
  }
  return { reachable, missing, invalid };
}

function childrenOf(value: unknown, isIndexType: boolean): OciDescriptor[] | undefined {
  if (isIndexType) {
    if (!isIndex(value)) return undefined;
    return [...value.manifests, ...(value.subject === undefined ? [] : [value.subject])];
  }
  if (!isManifest(value)) return undefined;
  return [value.config, ...value.layers, ...(value.subject === undefined ? [] : [value.subject])];
}
