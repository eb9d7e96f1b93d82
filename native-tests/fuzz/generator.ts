// Seed → a random overlay case: lower-preparation script, optional squashed-upper script, and the
// operation script run through the merged view. Pure: the same (seed, mode) always gives the same text.
import type { Mode } from '../harness/overlay.js';
import { Rng } from '../../fixtures/prng.js';
import { FEATURES } from '../harness/features.js';

/** One generated round-trip case; every script is plain bash, reproducible by hand. */
export interface FuzzCase {
  readonly seed: number;
  readonly mode: Mode;
  /** Number of lowers, L0 topmost. */
  readonly lowerCount: number;
  /** Run as real root on the bare lowers before any mount (`Scenario.prepare`). */
  readonly prepare: string;
  /** When set, lower L0 is first changed as an upper over L1.. with this script, then squashed (`roundTrip(1)`). */
  readonly squash: string | undefined;
  /** Operations through the merged view, cwd = the mountpoint (`Scenario.change`). */
  readonly change: string;
  /** Mount options of every mount of the case (redirect_dir, metacopy, index); empty for plain cases. */
  readonly features: readonly string[];
  /**
   * Feature cases: operations per lower above the bottom (index i), run with L_i as the upper of a
   * mount over L_{i+1}.. with the same options, bottom first: a snapshotter's committed chain.
   */
  readonly chain: readonly (string | undefined)[];
  /**
   * Run as real root after the chain: a lower prepared bare before the mounts of the lowers below
   * it can hold a whiteout whose directory no longer merges with anything (e.g. its counterpart
   * below was renamed away); the kernel lists such a name but fails its lookup, so it is dropped.
   */
  readonly fixup: string | undefined;
  /** Whether the differ is told the workdir (`--workdir`), so it can read the index. */
  readonly withWorkdir: boolean;
}

/** Whole-second mtime every lower entry gets, so copy-ups keep it and the differ must compare content. */
export const LOWER_MTIME = 1600000000;

/** Script prelude: the two odd names as variables, so paths stay readable. */
const PRELUDE = `LONG=$(printf 'l%.0s' {1..251}); BYTES=$'\\xff\\xfe'`;

// Few names, so operations collide often; the odd ones are rare. A 251-byte name still fits ".wh." + name.
const NAMES = { a: 10, b: 10, c: 8, d: 8, "'sp ace'": 1, '"$BYTES"': 1, '"$LONG"': 1 } as const;
type Name = keyof typeof NAMES;

/** 3-byte contents, so an overwrite often keeps the size (and, with touch -d, the mtime) of the lower's. */
const SHORT = ["'v0\\n'", "'v1\\n'", "'v2\\n'"];
const MODES = ['0755', '0700', '0644', '0600', '0444', '4755', '2750', '1777', '0000'];
const IDS = ['0:0', '1000:1000', '1:2', '65534:65534', '3000000:3000001'];
const XATTR_NAMES = ['user.k1', 'user.k2', 'user.k3'];
const XATTR_VALUES = ['v', 'other', '0x000aff', "'two words'"];
// Relative targets never contain "..", absolute ones point into /proc where nothing can be created:
// a write, mkdir -p or chmod through any generated symlink stays inside the merged view.
const LINK_TARGETS = ['a', 'b', 'c/d', 'd/a', '.', '/proc/overlaydiff-fuzz-dangling', '"$BYTES"'];

function path(rng: Rng, maxDepth = 3): string {
  const depth = rng.weighted({ 1: 5, 2: 4, 3: 1 } as Record<string, number>);
  const parts: Name[] = [];
  for (let i = 0; i < Math.min(Number(depth), maxDepth); i++) parts.push(rng.weighted(NAMES));
  return parts.join('/');
}

function parent(p: string): string | undefined {
  const i = p.lastIndexOf('/');
  return i < 0 ? undefined : p.slice(0, i);
}

/** `make > target`, skipped when target is (or leads by symlink to) a fifo: opening one for writing blocks forever. */
function writeTo(make: string, target: string): string {
  return `[ ! -p ${target} ] && ${make} > ${target}`;
}

function content(rng: Rng): string {
  switch (rng.weighted({ short: 6, other: 2, big: 1, empty: 1 })) {
    case 'short':
      return `printf ${rng.pick(SHORT)}`;
    case 'other':
      return `printf 'content %d\\n' ${rng.int(0, 99)}`;
    case 'big':
      return `seq 1 ${rng.int(1000, 30000)}`;
    case 'empty':
      return 'true';
  }
}

/** Lower `i` of `count` (bottom first): files, dirs, links, fifos, xattrs; whiteouts and opaque dirs above the bottom. */
function lowerScript(rng: Rng, mode: Mode, i: number, count: number, features = false): string[] {
  const ns = mode === 'trusted' ? 'trusted' : 'user';
  const stale = ns === 'trusted' ? 'user' : 'trusted';
  const L = `"$L${i}"`;
  const hasBelow = i < count - 1;
  const lines: string[] = [];
  const n = rng.int(5, 16);
  for (let k = 0; k < n; k++) {
    const p = path(rng);
    const at = `${L}/${p}`;
    const dir = parent(p);
    const mk = dir === undefined ? '' : `mkdir -p ${L}/${dir} && `;
    const kind = rng.weighted({
      file: 10,
      dir: 5,
      symlink: 2,
      hardlink: features ? 6 : 2,
      fifo: 1,
      whiteout: hasBelow ? 3 : 0,
      opaque: hasBelow ? 2 : 0,
      staleOpaque: 0.3,
      xattr: 2,
      chown: mode === 'trusted' ? 1 : 0,
      chmod: 1,
    });
    let cmd: string;
    switch (kind) {
      case 'file':
        cmd = mk + writeTo(content(rng), at);
        break;
      case 'dir':
        cmd = `mkdir -p ${at}`;
        break;
      case 'symlink':
        cmd = `${mk}ln -s ${rng.pick(LINK_TARGETS)} ${at}`;
        break;
      case 'hardlink':
        cmd = `${mk}ln ${L}/${path(rng, 1)} ${at}`;
        break;
      case 'fifo':
        cmd = `${mk}mkfifo ${at}`;
        break;
      case 'whiteout':
        cmd = `${mk}mknod ${at} c 0 0`;
        break;
      case 'opaque':
        cmd = `mkdir -p ${at} && setfattr -n ${ns}.overlay.opaque -v y ${at}`;
        break;
      case 'staleOpaque':
        cmd = `mkdir -p ${at} && setfattr -n ${stale}.overlay.opaque -v y ${at}`;
        break;
      case 'xattr':
        cmd = `setfattr -h -n ${rng.pick(XATTR_NAMES)} -v ${rng.pick(XATTR_VALUES)} ${at}`;
        break;
      case 'chown':
        cmd = `chown -h ${rng.pick(IDS)} ${at}`;
        break;
      case 'chmod':
        cmd = `chmod ${rng.pick(MODES)} ${at}`;
        break;
    }
    lines.push(`{ ${cmd}; } 2>/dev/null || true`);
  }
  return lines;
}

/**
 * Bash that removes lower whiteouts whose directory merges with no directory below: the kernel lists
 * a non-merged directory unfiltered, so such a whiteout shows in readdir yet fails lookup — invalid
 * input, not a differ case. `layers I D` mimics overlay lookup of dir D starting at lower I (a
 * non-dir, a whiteout or an opaque dir stops it) and prints how many lowers contribute. Bottom
 * lowers first: a removal can only make dirs of higher lowers merge further.
 */
function dropUnmergedWhiteouts(ns: 'trusted' | 'user', count: number): string {
  return `layers() {
  local -a active next; local p= c j v x; read -ra active <<< "$(seq -s ' ' $1 ${count - 1})"
  local IFS=/; for c in $2; do
    p=\${p:+$p/}$c; next=()
    for j in "\${active[@]}"; do
      v=L$j; x=\${!v}/$p
      if [ -L "$x" ]; then break
      elif [ -d "$x" ]; then next+=("$j"); [ "$(getfattr --only-values -n ${ns}.overlay.opaque "$x" 2>/dev/null)" != y ] || break
      elif [ -e "$x" ]; then break
      fi
    done
    active=("\${next[@]}")
  done
  echo \${#active[@]}
}
for i in $(seq ${count - 1} -1 0); do
  v=L$i; L=\${!v}
  find "$L" -type c -print0 | while IFS= read -r -d '' w; do
    rel=\${w#"$L"/}; d=\${rel%/*}; [ "$d" != "$rel" ] || d=
    [ "$(layers $i "$d")" -ge 2 ] || rm -f "$w"
  done
done`;
}

/** `count` operations through a merged view; each guarded, so a failing one changes nothing and the script stays deterministic. */
function operations(rng: Rng, mode: Mode, count: number, features = false): string[] {
  const lines: string[] = [];
  for (let k = 0; k < count; k++) {
    const p = path(rng);
    const dir = parent(p);
    const mk = dir === undefined ? '' : `mkdir -p ${dir} && `;
    const op = rng.weighted({
      write: 6,
      append: 3,
      truncate: 2,
      sameSize: 3,
      chmod: features ? 5 : 3,
      chown: mode === 'trusted' ? (features ? 3 : 2) : 0,
      touch: 3,
      setxattr: features ? 5 : 3,
      setcap: features ? 1 : 0,
      removexattr: 2,
      symlink: 2,
      retarget: 1,
      hardlink: features ? 6 : 4,
      mkdir: 3,
      rmdir: 2,
      rm: 5,
      opaque: 2,
      rename: features ? 6 : 4,
      fifo: 1,
      replace: 3,
    });
    let cmd: string;
    switch (op) {
      case 'write':
        cmd = mk + writeTo(content(rng), p);
        break;
      case 'append':
        cmd = `[ ! -p ${p} ] && printf 'more\\n' >> ${p}`;
        break;
      case 'truncate':
        cmd = `[ ! -p ${p} ] && truncate -s ${rng.int(0, 5)} ${p}`;
        break;
      case 'sameSize':
        // Same size and the lower's whole-second mtime: only the content tells the change.
        cmd = `${writeTo(`printf ${rng.pick(SHORT)}`, p)} && touch -d @${LOWER_MTIME} ${p}`;
        break;
      case 'chmod':
        cmd = `chmod ${rng.pick(MODES)} ${p}`;
        break;
      case 'chown':
        cmd = `chown -h ${rng.pick(IDS)} ${p}`;
        break;
      case 'touch': {
        const t = rng.pick([`@${LOWER_MTIME}`, `@${LOWER_MTIME}`, '@1700000000', `@${LOWER_MTIME}.5`]);
        cmd = rng.chance(0.3) ? `${mk}touch ${p}` : `touch -h -d ${t} ${p}`;
        break;
      }
      case 'setxattr':
        cmd = `setfattr -h -n ${rng.pick(XATTR_NAMES)} -v ${rng.pick(XATTR_VALUES)} ${p}`;
        break;
      case 'setcap':
        // A metadata-only copy-up (metacopy) whose xattr must come from the topmost copy.
        cmd = `[ -f ${p} ] && [ ! -L ${p} ] && setcap cap_net_raw+ep ${p}`;
        break;
      case 'removexattr':
        cmd = `setfattr -h -x ${rng.pick(XATTR_NAMES)} ${p}`;
        break;
      case 'symlink':
        cmd = `${mk}ln -s ${rng.pick(LINK_TARGETS)} ${p}`;
        break;
      case 'retarget':
        cmd = `ln -sfn ${rng.pick(LINK_TARGETS)} ${p}`;
        break;
      case 'hardlink':
        cmd = `${mk}ln ${path(rng, rng.int(1, 2))} ${p}`;
        break;
      case 'mkdir':
        cmd = rng.chance(0.5) ? `mkdir ${p}` : `mkdir -p ${p}`;
        break;
      case 'rmdir':
        cmd = `rmdir ${p}`;
        break;
      case 'rm':
        cmd = rng.chance(0.5) ? `rm -f ${p}` : `rm -rf ${p}`;
        break;
      case 'opaque':
        cmd = `rm -rf ${p} && mkdir -p ${p} && ${content(rng)} > ${p}/${rng.weighted(NAMES)}`;
        break;
      case 'rename':
        cmd = `mv -T ${path(rng)} ${p}`;
        break;
      case 'fifo':
        cmd = `${mk}mkfifo ${p}`;
        break;
      case 'replace': {
        const what = rng.pick(['mkdir', 'symlink', 'file']);
        const make = what === 'mkdir' ? `mkdir ${p}` : what === 'symlink' ? `ln -s ${rng.pick(LINK_TARGETS)} ${p}` : `${content(rng)} > ${p}`;
        cmd = `rm -rf ${p} && ${make}`;
        break;
      }
    }
    lines.push(`{ ${cmd}; } 2>/dev/null || true`);
  }
  return lines;
}

/** The case for `seed` in `mode`: 1–3 lowers, 8–30 operations, and a squash of L0 in about 1 of 5 multi-lower cases. */
export function generateCase(seed: number, mode: Mode): FuzzCase {
  const rng = new Rng(seed ^ (mode === 'trusted' ? 0 : 0x5bd1e995));
  const lowerCount = rng.int(1, 3);
  const prepare: string[] = [PRELUDE];
  for (let i = lowerCount - 1; i >= 0; i--) prepare.push(...lowerScript(rng, mode, i, lowerCount));
  prepare.push(dropUnmergedWhiteouts(mode === 'trusted' ? 'trusted' : 'user', lowerCount));
  // Whole seconds, like tar-extracted lowers: copy-up keeps them, so unchanged content must be compared.
  for (let i = 0; i < lowerCount; i++) prepare.push(`find "$L${i}" -exec touch -h -d @${LOWER_MTIME} {} +`);
  const squash = lowerCount >= 2 && rng.chance(0.25) ? [PRELUDE, ...operations(rng, mode, rng.int(3, 12))].join('\n') : undefined;
  const change = [PRELUDE, ...operations(rng, mode, rng.int(8, 30))].join('\n');
  return { seed, mode, lowerCount, prepare: prepare.join('\n'), squash, change, features: [], chain: [], fixup: undefined, withWorkdir: false };
}

/**
 * A feature case for `seed` (trusted namespace): 1–3 lowers with many hardlinks, each lower above
 * the bottom changed as the upper of a mount with {@link FEATURES} over the lowers below (so lowers
 * hold redirects, metacopy files, origin/nlink attributes), then 8–30 operations through a mount
 * with the same options; 1 case in 5 diffs without the workdir.
 */
export function generateFeatureCase(seed: number): FuzzCase {
  const mode: Mode = 'trusted';
  const rng = new Rng(seed ^ 0x2c1b3c6d);
  const lowerCount = rng.int(1, 3);
  const prepare: string[] = [PRELUDE];
  for (let i = lowerCount - 1; i >= 0; i--) prepare.push(...lowerScript(rng, mode, i, lowerCount, true));
  prepare.push(dropUnmergedWhiteouts('trusted', lowerCount));
  for (let i = 0; i < lowerCount; i++) prepare.push(`find "$L${i}" -exec touch -h -d @${LOWER_MTIME} {} +`);
  const chain = Array.from({ length: lowerCount - 1 }, () =>
    rng.chance(0.8) ? [PRELUDE, ...operations(rng, mode, rng.int(4, 16), true)].join('\n') : undefined,
  );
  const change = [PRELUDE, ...operations(rng, mode, rng.int(8, 30), true)].join('\n');
  const withWorkdir = rng.chance(0.8);
  const fixup = dropUnmergedWhiteouts('trusted', lowerCount);
  return { seed, mode, lowerCount, prepare: prepare.join('\n'), squash: undefined, change, features: FEATURES, chain, fixup, withWorkdir };
}
