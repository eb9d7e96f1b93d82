// The counters a diff reports, all starting at zero.
import type { DiffStats } from '../types.js';

/** A fresh DiffStats with every counter at zero. */
export function emptyStats(): DiffStats {
  return { entries: 0, bytes: 0, whiteouts: 0, opaqueDirs: 0, hardlinks: 0, emptyXattrsDropped: 0, socketsSkipped: 0, unmappedOwners: 0 };
}
