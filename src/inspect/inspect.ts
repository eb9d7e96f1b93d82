// Reads a layer blob (tar, tar+gzip, tar+zstd) and describes each member; optionally lints it.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { layerTar, newLayerHashes } from '../blob/layer-stream.js';
import { dialectFor, isPrivateXattr, checkXattrNamespace } from '../classify/namespace.js';
import { assertXattrNamespaceAccess } from '../fsio/xattr-access.js';
import { OverlaydiffError, abortable, displayPath, ioError, throwIfAborted } from '../errors.js';
import { resolveDirectory } from '../fsio/directory.js';
import { ProgressCounter, type ProgressListener } from '../progress.js';
import { MergedLowers } from '../lowers/merged-lowers.js';
import { compareMemberPositions, type MemberPosition } from '../tar/member-order.js';
import { readTar } from '../tar/reader.js';
import type { Compression, TarEntry, TarEntryType, XattrNamespace } from '../types.js';
import { classifyMember, type MemberKind } from './classify-member.js';

export type { MemberKind } from './classify-member.js';

/** Which layer `inspectLayer` reads, and what it does with it. */
export interface InspectOptions {
  /** The layer blob to read (a path, or its bytes); compression is detected from its magic bytes. */
  layer: string | AsyncIterable<Buffer>;
  /** Check the layer against the lint rules. Default: false. */
  lint?: boolean;
  /**
   * The lowerdirs the layer applies on, topmost first; enables the `whiteout-absent` and
   * `opaque-no-lower` rules. Default: none (those rules are not checked).
   */
  lowers?: readonly string[];
  /** The namespace of the lowers' overlay xattrs (their own whiteouts/opaque dirs). Default: 'trusted'. */
  xattrNamespace?: XattrNamespace;
  /** Called with every member, in archive order, as it is read. Default: none. */
  onEntry?: (entry: InspectEntry) => void;
  /** Told the members read and the blob bytes read so far. Default: none. */
  onProgress?: ProgressListener;
  /** Stops between members: `inspectLayer` rejects with E_ABORTED. Default: none. */
  signal?: AbortSignal;
}

/** One member of the layer, as listed. */
export interface InspectEntry {
  /** Position in the archive, from 0. */
  readonly index: number;
  /** The member name as stored (no trailing '/'). */
  readonly path: Buffer;
  /** The member's tar type. */
  readonly type: TarEntryType;
  /** Permission bits plus setuid/setgid/sticky. */
  readonly mode: number;
  /** Owner user id. */
  readonly uid: number;
  /** Owner group id. */
  readonly gid: number;
  /** Bytes of data (non-zero only for a regular file). */
  readonly size: bigint;
  /** A symlink's target, or the name a hardlink points at. */
  readonly linkTarget?: Buffer;
  /** Major device number of a char or block device. */
  readonly devMajor: number;
  /** Minor device number of a char or block device. */
  readonly devMinor: number;
  /** What the member means for the layer: an entry, a whiteout, an opaque marker, or an overlay whiteout device. */
  readonly kind: MemberKind;
  /** For a whiteout the path it hides; for an opaque marker its directory. */
  readonly target?: Buffer;
  /** xattr names, in archive order (values are not listed). */
  readonly xattrs: readonly Buffer[];
}

/** The rules `inspectLayer` checks with `lint` (see `inspectLayer` for each). */
export type LintRule =
  | 'whiteout-absent'
  | 'opaque-no-lower'
  | 'private-xattr'
  | 'char-device-whiteout'
  | 'duplicate'
  | 'child-before-parent'
  | 'non-canonical-order'
  | 'empty-xattr';

/** Every {@link LintRule}, in the order the documentation lists them. */
export const LINT_RULES: readonly LintRule[] = [
  'whiteout-absent',
  'opaque-no-lower',
  'private-xattr',
  'char-device-whiteout',
  'duplicate',
  'child-before-parent',
  'non-canonical-order',
  'empty-xattr',
];

/** Something a correct layer should not have, at one member. */
export interface LintFinding {
  /** The rule the member breaks. */
  readonly rule: LintRule;
  /** The member's position in the archive, from 0. */
  readonly index: number;
  /** The member's name as stored. */
  readonly path: Buffer;
  /** The finding for people, starting with the path. */
  readonly message: string;
}

/** What `inspectLayer` read: the blob's compression and digests, how many members, and the lint findings. */
export interface InspectResult {
  /** The compression detected from the blob's magic bytes. */
  readonly compression: Compression;
  /** sha256 of the blob as read. */
  readonly digest: string;
  /** sha256 of the uncompressed tar. */
  readonly diffID: string;
  /** Members read. */
  readonly entries: number;
  /** Empty unless `lint` was set; in archive order of the member they concern. */
  readonly findings: readonly LintFinding[];
}

/**
 * Streams the layer at `options.layer`, calling `options.onEntry` for every member in archive order, and
 * with `lint` checks these rules (the canonical order is the one `diff` writes: depth first,
 * names by bytes within a directory, a whiteout in its target name's place, an opaque marker right
 * after its directory):
 * - `whiteout-absent`: a whiteout hides nothing in the lowers (only with `lowers`);
 * - `opaque-no-lower`: an opaque marker on a directory the lowers do not have (only with `lowers`);
 * - `private-xattr`: an overlay-private xattr (`trusted.overlay.*`, `user.overlay.*`, ...);
 * - `char-device-whiteout`: a char device 0:0 (an overlayfs whiteout, meaningless in a layer);
 * - `duplicate`: a path given twice, or a whiteout after the entry of the same name (just before it,
 *   the whiteout belongs to a directory the layer recreates, as `diff` writes it);
 * - `child-before-parent`: a member before its parent directory's entry;
 * - `non-canonical-order`: a member sorting before its predecessor;
 * - `empty-xattr`: a `SCHILY.xattr.*` PAX record with an empty value (readers drop it).
 * Memory grows with the number of members (paths are kept for the duplicate and parent rules).
 * Rejects with E_BAD_ARCHIVE for an unreadable layer, E_NOT_FOUND/E_IO when a file cannot be
 * read, E_NOT_DIRECTORY for a lowerdir that is not one, E_ABORTED when `signal` fires.
 */
export async function inspectLayer(options: InspectOptions): Promise<InspectResult> {
  return abortable(options.signal, () => inspectOne(options));
}

async function inspectOne(options: InspectOptions): Promise<InspectResult> {
  const namespace = checkXattrNamespace(options.xattrNamespace);
  if (options.lowers !== undefined && options.lowers.length > 0) assertXattrNamespaceAccess(namespace, 'lint a layer against lowerdirs');
  const lowers =
    options.lowers === undefined || options.lowers.length === 0
      ? undefined
      : new MergedLowers(
          options.lowers.map((lower) => resolveDirectory('lowerdir', lower)),
          dialectFor(namespace),
        );
  const below: LowerView | undefined =
    lowers === undefined
      ? undefined
      : (path) => {
          const hit = lowers.lookup(path);
          return hit === undefined ? undefined : hit.stat.type === 'dir' ? 'dir' : 'other';
        };
  const progress = new ProgressCounter(options.onProgress);
  return inspectBlob(options.layer, { lint: options.lint ?? false, lowers: below, signal: options.signal, progress }, options.onEntry ?? (() => {}));
}

/** What is below a layer at a path: a directory, something else, or nothing. */
export type LowerView = (path: Buffer) => 'dir' | 'other' | undefined;

export interface BlobInspection {
  readonly lint: boolean;
  /** Enables the rules that need the layer's lowers. */
  readonly lowers: LowerView | undefined;
  readonly signal: AbortSignal | undefined;
  /** Called with each member as read, for a caller that models the tree the layer builds. */
  readonly onMember?: (entry: TarEntry) => void;
  /** Counts the members and blob bytes read. */
  readonly progress: ProgressCounter;
}

/** Streams the layer blob at `path` through the listing and the linter; shared by layer and image inspection. */
export async function inspectBlob(blob: string | AsyncIterable<Buffer>, how: BlobInspection, onEntry: (entry: InspectEntry) => void): Promise<InspectResult> {
  const hashes = newLayerHashes();
  const findings: LintFinding[] = [];
  const linter = how.lint ? new Linter(findings, how.lowers) : undefined;
  let index = 0;
  const stream = typeof blob === 'string' ? createReadStream(blob, how.signal === undefined ? {} : { signal: how.signal }) : blob;
  try {
    for await (const member of readTar(layerTar(how.progress.countBytes(stream), hashes))) {
      throwIfAborted(how.signal);
      const { entry } = member;
      const classified = classifyMember(entry);
      const listed: InspectEntry = {
        index,
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size: entry.size,
        ...(entry.linkTarget === undefined ? {} : { linkTarget: entry.linkTarget }),
        devMajor: entry.devMajor,
        devMinor: entry.devMinor,
        kind: classified.kind,
        ...(classified.target === undefined ? {} : { target: classified.target }),
        xattrs: entry.xattrs.map((x) => x.name),
      };
      onEntry(listed);
      how.onMember?.(entry);
      linter?.check(listed, classified, member.emptyXattrs);
      how.progress.item();
      index++;
    }
  } catch (err) {
    if (err instanceof OverlaydiffError) throw err;
    throw ioError('read the layer', typeof blob === 'string' ? blob : '-', err);
  } finally {
    if (stream instanceof Readable) stream.destroy();
  }
  return {
    compression: hashes.compression,
    digest: `sha256:${hashes.blob.digest('hex')}`,
    diffID: `sha256:${hashes.tar.digest('hex')}`,
    entries: index,
    findings,
  };
}

class Linter {
  readonly #findings: LintFinding[];
  readonly #lowers: LowerView | undefined;
  /** Every member path (latin1 keeps the bytes) → its first index. */
  readonly #seen = new Map<string, number>();
  /** Parent dir path → first member that came before it. */
  readonly #orphans = new Map<string, number>();
  #previous: MemberPosition | undefined;

  constructor(findings: LintFinding[], lowers: LowerView | undefined) {
    this.#findings = findings;
    this.#lowers = lowers;
  }

  check(entry: InspectEntry, path: ReturnType<typeof classifyMember>, emptyXattrs: readonly Buffer[]): void {
    const report = (rule: LintRule, message: string): void => {
      this.#findings.push({ rule, index: entry.index, path: entry.path, message: `${displayPath(entry.path)}: ${message}` });
    };
    const key = path.path.toString('latin1');

    // Order, duplicates.
    const earlier = this.#seen.get(key);
    if (earlier !== undefined) {
      report('duplicate', `also member #${earlier}`);
    } else if (this.#previous !== undefined) {
      // The writer's order: `.wh.X` may come just before `X` (recreated), never after it.
      const c = compareMemberPositions(path.position, this.#previous);
      if (c <= 0 && path.position.key.equals(this.#previous.key)) report('duplicate', 'a whiteout after the entry of the same name');
      else if (c < 0) report('non-canonical-order', 'sorts before the member preceding it (depth first, names by bytes per directory)');
    }
    if (earlier === undefined) this.#seen.set(key, entry.index);
    this.#previous = path.position;

    // Parents first.
    const parentKey = path.parent.toString('latin1');
    if (parentKey !== '' && !this.#seen.has(parentKey) && !this.#orphans.has(parentKey)) this.#orphans.set(parentKey, entry.index);
    if (entry.type === 'dir' && earlier === undefined) {
      const child = this.#orphans.get(key);
      if (child !== undefined) {
        report('child-before-parent', `directory comes after member #${child}, which is inside it`);
        this.#orphans.delete(key);
      }
    }

    // Content.
    for (const name of entry.xattrs) {
      if (isPrivateXattr(name)) report('private-xattr', `overlay-private xattr ${displayPath(name)}`);
    }
    for (const name of emptyXattrs) report('empty-xattr', `empty SCHILY.xattr record for ${displayPath(name)}`);
    if (path.kind === 'char-whiteout') report('char-device-whiteout', 'char device 0:0 (an overlayfs whiteout); a layer uses .wh.NAME');

    // Against the lowers.
    const lowers = this.#lowers;
    if (lowers === undefined || path.target === undefined) return;
    if (path.kind === 'whiteout' && lowers(path.target) === undefined) {
      report('whiteout-absent', `whiteout for ${displayPath(path.target)}, which the lowers do not have`);
    }
    if (path.kind === 'opaque') {
      // The root always exists below; any other directory must be one in the lowers.
      if (path.target.length > 0 && lowers(path.target) !== 'dir') {
        report('opaque-no-lower', `opaque marker on ${displayPath(path.target)}, which is not a directory in the lowers`);
      }
    }
  }
}
