// Orders changes into tar members: parents before children, hardlinks to the first name, markers after dirs.
import { OverlaydiffError, assertNever, displayPath } from '../errors.js';
import type { OverflowIds } from '../fsio/user-namespace.js';
import type { Change, DiffStats, FsStat, TarEntry } from '../types.js';
import { HardlinkTable } from './hardlinks.js';
import { entryMember, opaqueMember, whiteoutMember, type EntryPolicy } from './tar-entries.js';

export interface LayerOptions {
  readonly sourceDateEpoch?: bigint;
  /** Fail when an inode has more links than names walked (every name of the tree was walked). */
  readonly checkLinkCounts: boolean;
  /** The overflow ids when running in a user namespace that leaves ids unmapped. */
  readonly overflowIds?: OverflowIds;
  readonly stats: DiffStats;
}

/**
 * Yields the tar members for a depth-first, canonically ordered change stream. A 'parent' dir
 * is held back and emitted (with its real metadata) only when something below it is emitted, so
 * every member's parent precedes it. Ends with E_UNSUPPORTED_OVERLAY when an inode has more
 * links than names seen: its other names (index=on aliases or files outside the upperdir) would
 * silently lose their link.
 */
export async function* buildLayer(changes: AsyncIterable<Change>, options: LayerOptions): AsyncGenerator<TarEntry> {
  const { stats } = options;
  const policy: EntryPolicy = {
    ...(options.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: options.sourceDateEpoch }),
    onEmptyXattr: () => stats.emptyXattrsDropped++,
  };
  const hardlinks = new HardlinkTable();
  const pending: Extract<Change, { kind: 'parent' }>[] = [];

  // Emits the held-back ancestors of `path`, dropping held dirs whose subtree has ended.
  function* releaseParents(path: Buffer): Generator<TarEntry> {
    let keep = 0;
    while (keep < pending.length && isAncestor(pending[keep]!.path, path)) keep++;
    pending.length = keep;
    for (const parent of pending) yield entryMember(parent.entry, policy);
    pending.length = 0;
  }

  for await (const change of changes) {
    switch (change.kind) {
      case 'parent': {
        let keep = 0;
        while (keep < pending.length && isAncestor(pending[keep]!.path, change.path)) keep++;
        pending.length = keep;
        pending.push(change);
        break;
      }
      case 'add':
      case 'modify': {
        yield* releaseParents(change.path);
        const linkTarget = hardlinks.linkTargetFor(change.path, change.entry.stat, change.linksOutside);
        if (isUnmappedOwner(change.entry.stat, options.overflowIds)) stats.unmappedOwners++;
        if (linkTarget !== undefined) stats.hardlinks++;
        else stats.bytes += change.entry.stat.type === 'file' ? Number(change.entry.stat.size) : 0;
        yield entryMember(change.entry, policy, linkTarget);
        break;
      }
      case 'delete':
        yield* releaseParents(change.path);
        stats.whiteouts++;
        yield whiteoutMember(change.path);
        break;
      case 'opaque':
        stats.opaqueDirs++;
        yield opaqueMember(change.dir);
        break;
      default:
        assertNever(change);
    }
  }
  for (const set of options.checkLinkCounts ? hardlinks.incompleteSets() : []) {
    throw new OverlaydiffError(
      'E_UNSUPPORTED_OVERLAY',
      `upperdir entry ${displayPath(set.path)} has ${set.nlink} links but only ${set.names} name(s) in the upperdir; the other ` +
        `names are outside it (an overlay mounted with index=on keeps them in the workdir index, and the lower ` +
        `hardlink set changed with it). This layer cannot be diffed from the upperdir alone.`,
      { path: set.path },
    );
  }
}

function isUnmappedOwner(stat: FsStat, overflow: OverflowIds | undefined): boolean {
  return overflow !== undefined && (stat.uid === overflow.uid || stat.gid === overflow.gid);
}

// True when `dir` is `path` or one of its ancestors ("a" is an ancestor of "a/b", not of "ab").
function isAncestor(dir: Buffer, path: Buffer): boolean {
  if (path.length < dir.length) return false;
  if (path.length > dir.length && path[dir.length] !== 0x2f) return false;
  return path.subarray(0, dir.length).equals(dir);
}
