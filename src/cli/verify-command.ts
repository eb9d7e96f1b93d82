// `overlaydiff verify`: a layer + lowers + the snapshot's merged view → mismatches, exit 1 on any.
import { helpRequested, parseCommandArgs, xattrNamespaceFlag } from './command-args.js';
import { verify } from '../verify/verify.js';
import { OverlaydiffError } from '../errors.js';
import { jsonReport } from './json-report.js';
import { splitPathList } from './path-list.js';
import { VERIFY_USAGE } from './usage-texts.js';

/** Runs `verify` with its arguments; returns the exit status. */
export async function runVerifyCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, VERIFY_USAGE)) return 0;
  const { values, positionals } = parseCommandArgs(args, {
    layer: { type: 'string' },
    lower: { type: 'string' },
    merged: { type: 'string' },
    'xattr-namespace': { type: 'string', default: 'trusted' },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new OverlaydiffError('E_USAGE', `unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.layer === undefined || values.merged === undefined) throw new OverlaydiffError('E_USAGE', 'verify needs --layer and --merged');
  const namespace = xattrNamespaceFlag(values['xattr-namespace']);
  const result = await verify({
    layer: values.layer,
    lowers: values.lower === undefined ? [] : splitPathList('--lower', values.lower),
    merged: values.merged,
    xattrNamespace: namespace,
  });
  if (values.json) process.stdout.write(jsonReport({ entries: result.entries, mismatches: result.mismatches }));
  else {
    for (const m of result.mismatches) process.stdout.write(`${m.path}: ${m.what}\n`);
    process.stdout.write(`${result.entries} entries checked, ${result.mismatches.length} mismatch(es)\n`);
  }
  return result.mismatches.length === 0 ? 0 : 1;
}
