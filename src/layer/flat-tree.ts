// The in-memory result of applying layers in order, modelled as inodes so hardlinks survive (pure).
import { OverlaydiffError, displayPath } from '../errors.js';
import { pathComponents } from '../fsio/path-components.js';
import { MAX_RESOLVED_BYTES, MAX_SYMLINKS, memberComponents, parseMemberPath } from './member-path.js';
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
 *
 * Names are read and resolved exactly as `apply` reads them (parseMemberPath, RootedTree): the
 * same refusals, and a parent path through a symlink that a layer made is resolved inside the
 * root (absolute targets from the root, '..' clamped, at most MAX_SYMLINKS links, at most
 * MAX_RESOLVED_BYTES), so the member lands where `flatten --dir` puts it and the written layer
 * holds only resolved, symlink-free paths.
 */
export class FlatTree<C> {
  readonly #root: Node<C> = { inode: { entry: ROOT_ENTRY }, children: new Map() };

  /** Applies one layer's members, given in tar order. */
  applyLayer(members: Iterable<LayerMember<C>>): void {
    const entries: { member: LayerMember<C>; parents: readonly Buffer[]; leaf: Buffer }[] = [];
    for (const member of members) {
      const { entry } = member;
      const path = parseMemberPath(entry.path, entry.type);
      switch (path.kind) {
        case 'root':
        case 'aufs-meta':
          break; // the target directory itself is not a member of the flat layer
        case 'opaque':
          this.#resolveDir(path.parents, false, entry.path)?.children?.clear();
          break;
        case 'whiteout':
          this.#resolveDir(path.parents, false, entry.path)?.children?.delete(path.name.toString('latin1'));
          break;
        case 'entry':
          entries.push({ member, parents: path.parents, leaf: path.leaf });
          break;
      }
    }
    for (const { member, parents, leaf } of entries) this.#put(member, parents, leaf);
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

  #put({ entry, content }: LayerMember<C>, parents: readonly Buffer[], leaf: Buffer): void {
    // A hardlink's target is looked up first, as apply does: a bad one fails before anything changes.
    const target = entry.type === 'hardlink' ? this.#hardlinkTarget(entry) : undefined;
    const dir = this.#resolveDir(parents, true, entry.path)!;
    const key = leaf.toString('latin1');
    const existing = dir.children!.get(key);
    if (entry.type === 'dir') {
      // An existing directory keeps its content; only its metadata changes.
      if (existing?.children !== undefined) existing.inode = { entry };
      else dir.children!.set(key, { inode: { entry }, children: new Map() });
      return;
    }
    if (target !== undefined) {
      if (target.dir === dir && target.key === key) throw bad(entry.path, 'a hardlink to itself');
      dir.children!.set(key, { inode: target.node.inode });
      return;
    }
    dir.children!.set(key, { inode: content === undefined ? { entry } : { entry, content } });
  }

  // The hardlink target: its parents resolved like a member's, its last component not followed.
  #hardlinkTarget(entry: TarEntry): { dir: Node<C>; key: string; node: Node<C> } {
    const linkTarget = entry.linkTarget ?? Buffer.alloc(0);
    const parts = memberComponents(linkTarget, 'hardlink target', entry.path);
    const leaf = parts.pop();
    if (leaf === undefined) throw bad(entry.path, 'a hardlink to the target directory itself');
    const dir = this.#resolveDir(parts, false, entry.path);
    const key = leaf.toString('latin1');
    const node = dir?.children?.get(key);
    if (dir === undefined || node === undefined || node.children !== undefined) {
      throw bad(entry.path, `hardlink to ${displayPath(linkTarget)}, which is not a file at that point`);
    }
    return { dir, key, node };
  }

  /**
   * The directory at `parts`, following symlinks the layers made within the root; missing
   * directories are created when `create`, else the result is undefined. Anything else in the way
   * is E_NOT_DIRECTORY, as in apply.
   */
  #resolveDir(parts: readonly Buffer[], create: boolean, member: Buffer): Node<C> | undefined {
    const stack: { name: Buffer; node: Node<C> }[] = [];
    const pending = [...parts].reverse();
    let bytes = 0;
    let links = 0;
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      if (part.length === 0 || part.equals(DOT)) continue;
      if (part.equals(DOTDOT)) {
        const popped = stack.pop();
        if (popped !== undefined) bytes -= popped.name.length + 1;
        continue;
      }
      const here = stack.at(-1)?.node ?? this.#root;
      const key = part.toString('latin1');
      let child = here.children!.get(key);
      if (child === undefined) {
        if (!create) return undefined;
        child = { inode: { entry: { ...ROOT_ENTRY, path: Buffer.from(part) } }, children: new Map() };
        here.children!.set(key, child);
      } else if (child.children === undefined && child.inode.entry.type === 'symlink') {
        if (++links > MAX_SYMLINKS) {
          throw new OverlaydiffError('E_UNSAFE_PATH', `${displayPath(member)}: more than ${MAX_SYMLINKS} symlinks while resolving it inside the target`, {
            path: member,
          });
        }
        const linkTarget = child.inode.entry.linkTarget ?? Buffer.alloc(0);
        if (linkTarget[0] === SLASH) {
          stack.length = 0;
          bytes = 0;
        }
        pending.push(...pathComponents(linkTarget).reverse());
        continue;
      } else if (child.children === undefined) {
        const at = Buffer.from([...stack.map((s) => s.name.toString('latin1')), key].join('/'), 'latin1');
        throw new OverlaydiffError('E_NOT_DIRECTORY', `${displayPath(member)}: ${displayPath(at)} in the target is not a directory`, { path: member });
      }
      stack.push({ name: part, node: child });
      bytes += part.length + 1;
      if (bytes > MAX_RESOLVED_BYTES) {
        throw new OverlaydiffError(
          'E_UNSAFE_PATH',
          `${displayPath(member)}: resolves to a location longer than ${MAX_RESOLVED_BYTES} bytes inside the target`,
          { path: member },
        );
      }
    }
    return stack.at(-1)?.node ?? this.#root;
  }

  #find(path: Buffer): Node<C> | undefined {
    let node: Node<C> | undefined = this.#root;
    for (const name of pathComponents(path)) node = node?.children?.get(name.toString('latin1'));
    return node;
  }
}

const SLASH = 0x2f;
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

function bad(member: Buffer, why: string): OverlaydiffError {
  return new OverlaydiffError('E_BAD_ARCHIVE', `${displayPath(member)}: ${why}`, { path: member });
}

function join(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 0 ? name : Buffer.concat([dir, Buffer.from('/'), name]);
}
