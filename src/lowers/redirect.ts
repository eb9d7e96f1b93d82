// Resolves the origin an `overlay.redirect` attribute names.

/**
 * The origin path of an entry at `lowerPath` (its path as the lowers see it) whose
 * `overlay.redirect` is `redirect`: an absolute path from the overlay root ("/dir/name"), or a
 * bare name for a rename within the same directory.
 */
export function redirectTarget(lowerPath: Buffer, redirect: Buffer): Buffer {
  if (redirect[0] === 0x2f) return redirect.subarray(1);
  const slash = lowerPath.lastIndexOf(0x2f);
  return slash < 0 ? redirect : Buffer.concat([lowerPath.subarray(0, slash + 1), redirect]);
}
