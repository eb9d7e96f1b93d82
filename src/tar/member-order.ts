// Where a layer member sorts in the canonical order, and the check that members arrive in it, each path once (pure).
import { compareCanonical } from '../canonical-order.js';
import { WH_OPAQUE, WH_PREFIX, isWhiteoutName } from '../classify/whiteout.js';
import { OverlaydiffError, displayPath } from '../errors.js';
import type { TarEntry, TarEntryType } from '../types.js';

/** What a member's name makes it, for ordering: an entry, a `.wh.NAME` whiteout or a `.wh..wh..opq` marker. */
export type MemberMarker = 'entry' | 'whiteout' | 'opaque';

/** Where a member sorts in the canonical order. */
export interface MemberPosition {
  /**
   * The path the member sorts at: its own for an entry, `dir/NAME` for the whiteout `dir/.wh.NAME`,
   * `dir/` for the opaque marker of `dir` (right after `dir`, before any child).
   */
  readonly key: Buffer;
  readonly marker: MemberMarker;
}

/**
 * The position of the member `path` ('/'-separated, no '.' or empty components). A directory is
 * always an entry, whatever its name; a whiteout needs a name after `.wh.`.
 */
export function memberPosition(path: Buffer, type: TarEntryType): MemberPosition {
  const slash = path.lastIndexOf(0x2f);
  const dir = path.subarray(0, slash + 1);
  const leaf = path.subarray(slash + 1);
  if (type !== 'dir' && leaf.equals(WH_OPAQUE)) return { key: dir, marker: 'opaque' };
  if (type !== 'dir' && leaf.length > WH_PREFIX.length && isWhiteoutName(leaf)) {
    return { key: Buffer.concat([dir, leaf.subarray(WH_PREFIX.length)]), marker: 'whiteout' };
  }
  return { key: path, marker: 'entry' };
}

/**
 * Orders two positions: by key in canonical order; at the same key a marker precedes the entry,
 * since `.wh.X` may come just before `X` (a directory whited out and recreated), never after it.
 */
export function compareMemberPositions(a: MemberPosition, b: MemberPosition): number {
  return compareCanonical(a.key, b.key) || rank(a) - rank(b);
}

function rank(position: MemberPosition): number {
  return position.marker === 'entry' ? 1 : 0;
}

/**
 * Asserts the order every layer is written in: members strictly increasing by
 * `compareMemberPositions`. So no path can be emitted twice — an applier would extract the last
 * one, and the layer would depend on which — and the check needs O(1) memory. A violation is
 * E_INTERNAL naming the member.
 */
export class MemberOrder {
  #previous: MemberPosition | undefined;

  check(entry: TarEntry): void {
    const position = memberPosition(entry.path, entry.type);
    const previous = this.#previous;
    if (previous !== undefined) {
      const order = compareMemberPositions(previous, position);
      if (order >= 0) {
        throw new OverlaydiffError(
          'E_INTERNAL',
          `${displayPath(entry.path)}: layer member ${order === 0 ? 'emitted twice' : 'out of canonical order'} ` +
            '(a bug in overlaydiff: the layer would be ambiguous); please report it with the upperdir layout',
          { path: entry.path },
        );
      }
    }
    this.#previous = position;
  }
}
