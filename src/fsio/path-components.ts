// Splits '/'-separated byte paths (tar member names, relative tree paths) into their components.

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * The components of `path`, in order, as views into it (copy before keeping them past `path`):
 * empty components (leading, trailing or doubled '/') and '.' are dropped, so `/a//./b/` is
 * `[a, b]` and `''` is `[]`. '..' is returned as is; callers that must not climb refuse it.
 */
export function pathComponents(path: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path[i] !== SLASH) continue;
    const length = i - start;
    if (length > 0 && !(length === 1 && path[start] === DOT)) parts.push(path.subarray(start, i));
    start = i + 1;
  }
  return parts;
}
