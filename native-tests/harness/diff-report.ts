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

/**
 * With --json a failure is `{"error": {code, message}}` on stdout; this renders it as the CLI's
 * plain `overlaydiff: MESSAGE [CODE]` line, so tests can look for messages in one place.
 */
export function errorLine(stdout: string): string {
  try {
    const { error } = JSON.parse(stdout) as { error?: { code: string; message: string } };
    return error === undefined ? '' : `overlaydiff: ${error.message} [${error.code}]\n`;
  } catch {
    return '';
  }
}
