// Checks that tar members arrive in canonical order, each path once: a member twice is a bug, never a layer (pure).
import { compareCanonical } from '../canonical-order.js';
import { WH_OPAQUE, WH_PREFIX, isWhiteoutName } from '../classify/whiteout.js';
import { OverlaydiffError, displayPath } from '../errors.js';
import type { TarEntry } from '../types.js';

interface Position {
  readonly key: Buffer;
  /** 0 for a whiteout or opaque marker, 1 for an entry: `.wh.X` may precede `X` (a recreated dir), never follow it. */
  readonly rank: 0 | 1;
}

/**
 * Asserts the order every layer is written in: members strictly increasing in canonical order
 * (depth first, siblings by raw bytes), where `dir/.wh.NAME` takes the place of `dir/NAME` just
 * before it and `dir/.wh..wh..opq` sits right after `dir`. So no path can be emitted twice — an
 * applier would extract the last one, and the layer would depend on which — and the check needs
 * O(1) memory. A violation is E_INTERNAL naming the member.
 */
export class MemberOrder {
  #previous: Position | undefined;

  check(entry: TarEntry): void {
    const position = positionOf(entry.path);
    const previous = this.#previous;
    if (previous !== undefined) {
      const order = compareCanonical(previous.key, position.key) || previous.rank - position.rank;
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

function positionOf(path: Buffer): Position {
  const slash = path.lastIndexOf(0x2f);
  const dir = path.subarray(0, slash + 1);
  const leaf = path.subarray(slash + 1);
  if (leaf.equals(WH_OPAQUE)) return { key: dir, rank: 0 };
  if (isWhiteoutName(leaf)) {
    return { key: Buffer.concat([dir, leaf.subarray(WH_PREFIX.length)]), rank: 0 };
  }
  return { key: path, rank: 1 };
}
