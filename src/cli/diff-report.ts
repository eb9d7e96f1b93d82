// What `diff` reports: the layer's descriptor for people, or as JSON (schemas/diff.schema.json).
import type { DiffResult, DiffStats } from '../types.js';
import type { LayoutDiffResult } from '../store/write-image.js';
import { jsonReport } from './json-report.js';

/** `diff --json`: a pure OCI descriptor (what a manifest lists), the diffID and the stats beside it. */
export interface DiffReport {
  readonly descriptor: { mediaType: string; digest: string; size: number; annotations: Record<string, string> };
  readonly diffID: string;
  readonly stats: DiffStats;
  /** With --layout: the image the layer was stored as. */
  readonly layout?: { tag: string; manifest: string; config: string };
}

/**
 * The one place where the library's result becomes the CLI's JSON contract: whatever shape
 * `diff()` returns, the report keeps schemas/diff.schema.json.
 */
export function diffReport(result: DiffResult, layout?: LayoutDiffResult): DiffReport {
  const { descriptor, diffID, stats } = result;
  const { mediaType, digest, size, annotations } = descriptor;
  return {
    descriptor: { mediaType, digest, size, annotations: { ...annotations } },
    diffID,
    stats,
    ...(layout === undefined ? {} : { layout: { tag: layout.tag, manifest: layout.manifest.digest, config: layout.config.digest } }),
  };
}

/** The descriptor for people, or as JSON. */
export function formatDescriptor(result: DiffResult, json: boolean, layout?: LayoutDiffResult): string {
  if (json) return jsonReport(diffReport(result, layout));
  const stored = layout === undefined ? undefined : { tag: layout.tag, manifest: layout.manifest.digest };
  const { descriptor, stats: s } = result;
  return [
    `mediaType: ${descriptor.mediaType}`,
    `digest:    ${descriptor.digest}`,
    `size:      ${descriptor.size}`,
    `diffID:    ${result.diffID}`,
    ...(stored === undefined ? [] : [`image:     ${stored.tag} (manifest ${stored.manifest})`]),
    `entries:   ${s.entries} (${s.whiteouts} whiteouts, ${s.opaqueDirs} opaque dirs, ${s.hardlinks} hardlinks, ${s.bytes} data bytes)`,
    ...(s.emptyXattrsDropped > 0 ? [`warning:   ${s.emptyXattrsDropped} empty xattr value(s) left out (PAX cannot carry them)`] : []),
    ...(s.socketsSkipped > 0 ? [`note:      ${s.socketsSkipped} socket(s) left out (a tar cannot hold them)`] : []),
    ...(s.unmappedOwners > 0
      ? [
          `warning:   ${s.unmappedOwners} entr${s.unmappedOwners === 1 ? 'y is' : 'ies are'} owned by an id this user namespace does not map; recorded as the overflow id`,
        ]
      : []),
    '',
  ].join('\n');
}
