// `overlaydiff flatten`: layers (bottom first) → one canonical layer file, or a directory.
import { helpRequested, parseCommandArgs } from './command-args.js';
import { apply } from '../apply/apply.js';
import { flatten } from '../apply/flatten.js';
import { OverlaydiffError } from '../errors.js';
import { withInterrupts } from './interrupt.js';
import { pathArgument } from './argv-bytes.js';
import { NO_PROGRESS_OPTION, NO_PROGRESS_USAGE, withProgressLine } from './progress-line.js';

export const FLATTEN_USAGE = `usage: overlaydiff flatten LAYER... (-o OUT.tar | --dir DIR) [--json]

Applies the layers in order, bottom layer first, and writes the result:
  -o, --output FILE         one canonical layer (no whiteouts; hardlinks point at their first name)
  --dir DIR                 the tree itself, by applying each layer to DIR in order
  --json                    print the result as JSON
${NO_PROGRESS_USAGE}`;

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
  const result = await withProgressLine('flatten', 'entries', !values['no-progress'], (onProgress) =>
    withInterrupts(async (signal): Promise<object> => {
      const common = { signal, ...(onProgress === undefined ? {} : { onProgress }) };
      if (output !== undefined) return flatten({ layers: positionals, output, ...common });
      const applied = [];
      for (const layer of positionals) applied.push(await apply(layer, pathArgument(dir!), common));
      return { layers: applied };
    }),
  );
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${describe(result)}\n`);
  return 0;
}

function describe(result: object): string {
  if ('diffID' in result && 'entries' in result) return `diffID:  ${String(result.diffID)}\nentries: ${String(result.entries)}`;
  if ('layers' in result && Array.isArray(result.layers)) return `applied ${result.layers.length} layer(s)`;
  return JSON.stringify(result);
}
