// `overlaydiff flatten`: layers (bottom first) → one canonical layer file, or a directory.
import { helpRequested, parseCommandArgs } from './command-args.js';
import { apply, type ApplyResult } from '../apply/apply.js';
import { flatten, type FlattenResult } from '../apply/flatten.js';
import { MEDIA_TYPE_TAR } from '../blob/compress.js';
import { jsonReport } from './json-report.js';
import { mkdirSync } from 'node:fs';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';
import { withInterrupts } from './interrupt.js';
import { reportStream, reserveStdoutForData } from './report-stream.js';
import { pathArgument } from './argv-bytes.js';
import { NO_PROGRESS_OPTION, withProgressLine } from './progress-line.js';
import { FLATTEN_USAGE } from './usage-texts.js';

/** Runs `flatten` with its arguments; returns the exit status. */
export async function runFlattenCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, FLATTEN_USAGE)) return 0;
  const { values, positionals } = parseCommandArgs(args, {
    output: { type: 'string', short: 'o' },
    dir: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...NO_PROGRESS_OPTION,
    debug: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) throw new OverlaydiffError('E_USAGE', 'flatten needs at least one LAYER');
  const { output, dir } = values;
  if ((output === undefined) === (dir === undefined)) {
    throw new OverlaydiffError('E_USAGE', 'flatten needs exactly one of -o FILE and --dir DIR');
  }
  if (positionals.filter((layer) => layer === '-').length > 1) throw new OverlaydiffError('E_USAGE', 'flatten: stdin (-) can be only one of the layers');
  const toStdout = output === '-';
  if (toStdout && process.stdout.isTTY) throw new OverlaydiffError('E_USAGE', 'refusing to write a tar to a terminal: use -o FILE or redirect stdout');
  if (toStdout) reserveStdoutForData();
  const layers = positionals.map((layer) => (layer === '-' ? (process.stdin as AsyncIterable<Buffer>) : layer));
  // The target's bytes as given (a non-UTF-8 name must not become its U+FFFD twin).
  const target = dir === undefined ? undefined : pathArgument(dir);
  if (target !== undefined) createTargetDirectory(target);
  const report = await withProgressLine('flatten', 'entries', !values['no-progress'], (onProgress) =>
    withInterrupts(async (signal): Promise<FlattenReport> => {
      const common = { signal, ...(onProgress === undefined ? {} : { onProgress }) };
      if (output !== undefined) return flattenReport(await flatten({ layers, output: toStdout ? process.stdout : output, ...common }));
      const applied: ApplyResult[] = [];
      for (const layer of layers) applied.push(await apply({ layer, dir: target!, ...common }));
      return { layers: applied };
    }),
  );
  // With the layer on stdout, the result goes to stderr.
  reportStream().write(values.json ? jsonReport(report) : `${describe(report)}\n`);
  return 0;
}

// flatten --dir makes DIR when absent (like tar -C would need it made), never its parents.
function createTargetDirectory(dir: Buffer): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw ioError('create the target directory', dir, err);
  }
}

/** `flatten --json` (schemas/flatten.schema.json): the layer's descriptor and diffID, or the results of applying each layer to DIR. */
export type FlattenReport =
  | { readonly descriptor: { mediaType: string; digest: string; size: number }; readonly diffID: string; readonly entries: number }
  | { readonly layers: readonly ApplyResult[] };

/** The flattened layer is an uncompressed tar, so its blob digest is its diffID. */
export function flattenReport(result: FlattenResult): FlattenReport {
  return { descriptor: { mediaType: MEDIA_TYPE_TAR, digest: result.diffID, size: result.size }, diffID: result.diffID, entries: result.entries };
}

function describe(report: FlattenReport): string {
  if ('layers' in report) return `applied ${report.layers.length} layer(s)`;
  return `mediaType: ${report.descriptor.mediaType}\ndigest:    ${report.descriptor.digest}\nsize:      ${report.descriptor.size}\nentries:   ${report.entries}`;
}
