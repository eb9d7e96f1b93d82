// Splits a --lower or --upper directory list with the kernel's lowerdir= grammar, so a list means on the command line what it means in a mount.
import { usageError } from '../errors.js';
import { splitLowerdir } from '../mounts/overlay-escapes.js';

/**
 * `a:b\:c` → ['a', 'b:c'], topmost first, read as overlayfs reads `lowerdir=` (`splitLowerdir`):
 * layers separated by ':', a backslash escapes the next character, a leading or trailing ':' and
 * ':::' refused. In a mount '::' starts data-only layers, which are not part of the merged view;
 * these lists name only layers of the merged view, so '::' is refused here rather than read with
 * another meaning. E_USAGE names the flag. An empty list is no layers.
 */
export function splitPathList(flag: string, list: string): string[] {
  const label = `${flag} ${JSON.stringify(list)}`;
  const { lowers, dataLowers } = splitLowerdir(list, label);
  if (dataLowers.length > 0) {
    throw usageError(`${label}: '::' starts data-only layers in an overlay's lowerdir=, which ${flag} does not take; separate the layers with ':'`);
  }
  return lowers;
}
