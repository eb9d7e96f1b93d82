// Reads `overlaydiff diff --json` (schemas/diff.schema.json) into one flat record for assertions.

/** The descriptor's fields with the diffID and stats beside them. */
export interface DiffSummary {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
  diffID: string;
  stats: Record<string, number>;
}

interface DiffReport {
  descriptor: { mediaType: string; digest: string; size: number; annotations: Record<string, string> };
  diffID: string;
  stats: Record<string, number>;
}

export function parseDiffReport(text: string): DiffSummary {
  const report = JSON.parse(text) as DiffReport;
  return { ...report.descriptor, diffID: report.diffID, stats: report.stats };
}
