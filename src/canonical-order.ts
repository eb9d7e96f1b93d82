// The one canonical order of relative paths in a layer: depth first, siblings by raw name bytes.

const SLASH = 0x2f;

/**
 * Compares two '/'-separated relative paths in canonical order: component by component, each
 * compared as raw bytes, a parent before its children. It differs from comparing the whole
 * paths as bytes, where "a-b" would sort before "a/b" ('-' is 0x2d, '/' 0x2f): here the separator
 * sorts lowest, so "a", "a/b", "a-b" (continuity PR #140). Returns <0, 0 or >0.
 */
export function compareCanonical(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x === SLASH) return -1;
    if (y === SLASH) return 1;
    return x - y;
  }
  return a.length - b.length;
}
