// Classifies a tar member of a layer by its name and type: entry, whiteout, opaque marker (pure).
import { WH_OPAQUE, WH_PREFIX } from '../classify/whiteout.js';
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
  /** The directory the member lives in, '/'-joined ('' for the root). */
  readonly parent: Buffer;
  readonly kind: MemberKind;
  /** For a whiteout, the path it hides; for an opaque marker, its directory. */
  readonly target?: Buffer;
  /**
   * Canonical sort key: the components with a whiteout's name replaced by its target name and an
   * opaque marker's by an empty component (right after its dir, before any child).
   */
  readonly orderKey: readonly Buffer[];
}

const SLASH = Buffer.from('/');
const DOT = Buffer.from('.');

export function classifyMember(entry: Pick<TarEntry, 'path' | 'type' | 'devMajor' | 'devMinor'>): MemberPath {
  const components = splitComponents(entry.path);
  const parentComponents = components.slice(0, -1);
  const parent = Buffer.concat(joinWithSlash(parentComponents));
  const name = components.at(-1) ?? Buffer.alloc(0);
  if (entry.type !== 'dir' && name.equals(WH_OPAQUE)) {
    return { components, parent, kind: 'opaque', target: parent, orderKey: [...parentComponents, Buffer.alloc(0)] };
  }
  if (entry.type !== 'dir' && name.length > WH_PREFIX.length && name.subarray(0, WH_PREFIX.length).equals(WH_PREFIX)) {
    const hidden = name.subarray(WH_PREFIX.length);
    const target = Buffer.concat(joinWithSlash([...parentComponents, hidden]));
    return { components, parent, kind: 'whiteout', target, orderKey: [...parentComponents, hidden] };
  }
  const kind = entry.type === 'char' && entry.devMajor === 0 && entry.devMinor === 0 ? 'char-whiteout' : 'entry';
  return { components, parent, kind, orderKey: components };
}

/** Compares two order keys component by component, by bytes; a prefix sorts first. */
export function compareOrderKeys(a: readonly Buffer[], b: readonly Buffer[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
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

function joinWithSlash(parts: readonly Buffer[]): Buffer[] {
  return parts.flatMap((p, i) => (i === 0 ? [p] : [SLASH, p]));
}
