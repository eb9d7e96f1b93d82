// What `diff` reports: the layer's descriptor for people, or as JSON.
import type { LayerDescriptor } from '../types.js';
import type { LayoutDiffResult } from '../store/write-image.js';

/** The descriptor for people, or as JSON. */
export function formatDescriptor(descriptor: LayerDescriptor, json: boolean, layout?: LayoutDiffResult): string {
  const stored = layout === undefined ? undefined : { tag: layout.tag, manifest: layout.manifest.digest, config: layout.config.digest };
  if (json) return `${JSON.stringify(stored === undefined ? descriptor : { ...descriptor, layout: stored }, null, 2)}\n`;
  const s = descriptor.stats;
  return [
    `mediaType: ${descriptor.mediaType}`,
    `digest:    ${descriptor.digest}`,
    `size:      ${descriptor.size}`,
    `diffID:    ${descriptor.diffID}`,
    ...(stored === undefined ? [] : [`image:     ${stored.tag} (manifest ${stored.manifest})`]),
    `entries:   ${s.entries} (${s.whiteouts} whiteouts, ${s.opaqueDirs} opaque dirs, ${s.hardlinks} hardlinks, ${s.bytes} data bytes)`,
    ...(s.emptyXattrsDropped > 0 ? [`warning:   ${s.emptyXattrsDropped} empty xattr value(s) left out (PAX cannot carry them)`] : []),
    ...(s.socketsSkipped > 0 ? [`note:      ${s.socketsSkipped} socket(s) left out (a tar cannot hold them)`] : []),
    ...(s.unmappedOwners > 0
      ? [`warning:   ${s.unmappedOwners} entr${s.unmappedOwners === 1 ? 'y is' : 'ies are'} owned by an id this user namespace does not map; recorded as the overflow id`]
      : []),
    '',
  ].join('\n');
}
