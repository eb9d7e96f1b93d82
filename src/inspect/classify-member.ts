// Classifies a tar member of a layer by its name and type: entry, whiteout, opaque marker (pure).
import { memberPosition, type MemberPosition } from '../tar/member-order.js';
import type { TarEntry } from '../types.js';

/** What a member means for the layer. */
export type MemberKind =
  /** A file, directory, link or device to create. */
  | 'entry'
  /** `.wh.NAME`: hides NAME of the lower layers. */
  | 'whiteout'
  /** `.wh..wh..opq`: hides the lower content of its directory. */
  | 'opaque'
  /** A char device 0:0: an overlayfs whiteout copied verbatim, which a layer must not hold. */
  | 'char-whiteout';

/** A member path split into what the ordering and lint rules need. */
export interface MemberPath {
  /** Components, '.' and empty ones dropped; leading '/' ignored. */
  readonly components: readonly Buffer[];
  /** The components '/'-joined: the path as the member means it. */
  readonly path: Buffer;
  /** The directory the member lives in, '/'-joined ('' for the root). */
  readonly parent: Buffer;
  readonly kind: MemberKind;
  /** For a whiteout, the path it hides; for an opaque marker, its directory. */
  readonly target?: Buffer;
  /** Where the member sorts in the canonical order the writer checks (`compareMemberPositions`). */
  readonly position: MemberPosition;
}

const SLASH = Buffer.from('/');
const DOT = Buffer.from('.');

export function classifyMember(entry: Pick<TarEntry, 'path' | 'type' | 'devMajor' | 'devMinor'>): MemberPath {
  const components = splitComponents(entry.path);
  const path = joinWithSlash(components);
  const parent = joinWithSlash(components.slice(0, -1));
  const position = memberPosition(path, entry.type);
  if (position.marker === 'opaque') return { components, path, parent, kind: 'opaque', target: parent, position };
  if (position.marker === 'whiteout') return { components, path, parent, kind: 'whiteout', target: position.key, position };
  const kind = entry.type === 'char' && entry.devMajor === 0 && entry.devMinor === 0 ? 'char-whiteout' : 'entry';
  return { components, path, parent, kind, position };
}

function splitComponents(path: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path[i] !== 0x2f) continue;
    const part = path.subarray(start, i);
    start = i + 1;
    if (part.length > 0 && !part.equals(DOT)) parts.push(Buffer.from(part));
  }
  return parts;
}

function joinWithSlash(parts: readonly Buffer[]): Buffer {
  return Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [SLASH, p])));
}
