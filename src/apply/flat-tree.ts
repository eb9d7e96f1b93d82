// The in-memory result of applying layers in order, modelled as inodes so hardlinks survive (pure).
import { WH_OPAQUE, WH_PREFIX, isWhiteoutName } from '../classify/whiteout.js';
import { OverlaydiffError, displayPath } from '../errors.js';
import { pathComponents } from '../fsio/path-components.js';
import { isDotName } from './member-path.js';
import type { TarEntry } from '../types.js';

/** One member of a layer, with a reference to its data (`C`: where it is stored, or its hash). */
export interface LayerMember<C> {
  readonly entry: TarEntry;
  readonly content?: C;
}

/** A file's identity: every name of a hardlink set points at the same Inode. */
interface Inode<C> {
  readonly entry: TarEntry;
  readonly content?: C;
}

interface Node<C> {
  inode: Inode<C>;
  /** Directories only, keyed by the name's bytes as a latin1 string. */
  children?: Map<string, Node<C>>;
}

const ROOT_ENTRY: TarEntry = { path: Buffer.alloc(0), type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0n, size: 0n, devMajor: 0, devMinor: 0, xattrs: [] };

/**
 * The tree that applying layers bottom first produces, as the OCI spec defines it: in each layer,
 * whiteouts and opaque markers act on what the layers below left (never on the layer's own
 * entries, whatever the tar order), then entries replace what is at their path. A hardlink names
 * the inode its target has at that moment, so deleting or replacing the target later keeps the
 * link's content (go-containerregistry #977, #2002); opaque markers hide lower content (#2372).
 */
export class FlatTree<C> {
  readonly #root: Node<C> = { inode: { entry: ROOT_ENTRY }, children: new Map() };

  /** Applies one layer's members, given in tar order. */
  applyLayer(members: Iterable<LayerMember<C>>): void {
    const entries: LayerMember<C>[] = [];
    for (const member of members) {
      const { parent, name } = split(member.entry.path);
      if (name.equals(WH_OPAQUE)) this.#clear(parent);
      else if (isWhiteoutName(name)) this.#remove(parent, name.subarray(WH_PREFIX.length), member.entry.path);
      else entries.push(member);
    }
    for (const member of entries) this.#put(member);
  }

  /** What the layers applied so far leave at `path`: a directory, something else, or nothing. */
  kindAt(path: Buffer): 'dir' | 'other' | undefined {
    const node = this.#find(path);
    return node === undefined ? undefined : node.children !== undefined ? 'dir' : 'other';
  }

  /**
   * The flattened layer's members in canonical order (depth first, names by bytes): the first
   * name of each inode carries the data, later names link to that first name (no chains).
   */
  *members(): Generator<LayerMember<C>> {
    const firstNames = new Map<Inode<C>, Buffer>();
    const stack: { path: Buffer; node: Node<C> }[] = [{ path: Buffer.alloc(0), node: this.#root }];
    while (stack.length > 0) {
      const { path, node } = stack.pop()!;
      const children = [...(node.children ?? new Map<string, Node<C>>()).entries()];
      children.sort(([a], [b]) => Buffer.compare(Buffer.from(b, 'latin1'), Buffer.from(a, 'latin1')));
      // Pushed largest first so the smallest name is visited first.
      for (const [key, child] of children) stack.push({ path: join(path, Buffer.from(key, 'latin1')), node: child });
      if (path.length === 0) continue;
      const entry = node.inode.entry;
      if (node.children !== undefined) {
        yield { entry: { ...entry, path } };
        continue;
      }
      const first = firstNames.get(node.inode);
      if (first !== undefined) {
        yield { entry: { ...entry, path, type: 'hardlink', size: 0n, linkTarget: first, xattrs: [] } };
        continue;
      }
      firstNames.set(node.inode, path);
      const content = node.inode.content;
      yield content === undefined ? { entry: { ...entry, path } } : { entry: { ...entry, path }, content };
    }
  }

  #put({ entry, content }: LayerMember<C>): void {
    const { parent, name } = split(entry.path);
    const dir = this.#ensureDir(parent);
    const key = name.toString('latin1');
    const existing = dir.children!.get(key);
    if (entry.type === 'dir') {
      // An existing directory keeps its content; only its metadata changes.
      if (existing?.children !== undefined) existing.inode = { entry };
      else dir.children!.set(key, { inode: { entry }, children: new Map() });
      return;
    }
    if (entry.type === 'hardlink') {
      const target = this.#find(entry.linkTarget ?? Buffer.alloc(0));
      if (target === undefined || target.children !== undefined) {
        throw new OverlaydiffError(
          'E_BAD_ARCHIVE',
          `${displayPath(entry.path)}: hardlink to ${displayPath(entry.linkTarget ?? Buffer.alloc(0))}, which is not a file at that point`,
          { path: entry.path },
        );
      }
      dir.children!.set(key, { inode: target.inode });
      return;
    }
    dir.children!.set(key, { inode: content === undefined ? { entry } : { entry, content } });
  }

  // The directory at `path`, creating missing parents (and replacing non-directories) as extraction does.
  #ensureDir(path: Buffer): Node<C> {
    let node = this.#root;
    for (const name of pathComponents(path)) {
      const key = name.toString('latin1');
      let child = node.children!.get(key);
      if (child?.children === undefined) {
        child = { inode: { entry: { ...ROOT_ENTRY, path: name } }, children: new Map() };
        node.children!.set(key, child);
      }
      node = child;
    }
    return node;
  }

  #find(path: Buffer): Node<C> | undefined {
    let node: Node<C> | undefined = this.#root;
    for (const name of pathComponents(path)) node = node?.children?.get(name.toString('latin1'));
    return node;
  }

  #clear(dir: Buffer): void {
    this.#find(dir)?.children?.clear();
  }

  #remove(parent: Buffer, name: Buffer, whiteout: Buffer): void {
    if (name.length === 0 || isDotName(name)) {
      throw new OverlaydiffError('E_BAD_ARCHIVE', `${displayPath(whiteout)}: a whiteout must name an entry of its directory`, { path: whiteout });
    }
    this.#find(parent)?.children?.delete(name.toString('latin1'));
  }
}

function split(path: Buffer): { parent: Buffer; name: Buffer } {
  const parts = pathComponents(path);
  const name = parts.pop() ?? Buffer.alloc(0);
  return { parent: Buffer.from(parts.map((p) => p.toString('latin1')).join('/'), 'latin1'), name };
}

function join(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 0 ? name : Buffer.concat([dir, Buffer.from('/'), name]);
}
