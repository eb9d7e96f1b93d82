// The command table: each command's name, one-line summary, help text and entry point.
import { APPLY_USAGE, runApplyCommand } from './apply-command.js';
import { DIFF_USAGE, runDiffCommand } from './diff-command.js';
import { FLATTEN_USAGE, runFlattenCommand } from './flatten-command.js';
import { INSPECT_USAGE, runInspectCommand } from './inspect-command.js';
import { FSCK_USAGE, GC_USAGE, RM_USAGE, runFsckCommand, runGcCommand, runRmCommand } from './layout-commands.js';
import { runServeCommand, SERVE_USAGE } from './serve-command.js';
import { runVerifyCommand, VERIFY_USAGE } from './verify-command.js';

export interface Command {
  readonly name: string;
  /** One line, lower case, no period: shown in `overlaydiff --help` and as the man page's NAME. */
  readonly summary: string;
  /** The text of `overlaydiff NAME --help`; completion and man pages are generated from it. */
  readonly usage: string;
  /** False for a command without a --json report (serve logs JSON lines instead); its errors still follow the error schema. */
  readonly jsonReport?: false;
  /** Runs the command with the arguments after its name; resolves to the exit status. */
  readonly run: (args: readonly string[]) => Promise<number>;
}

export const COMMANDS: readonly Command[] = [
  { name: 'diff', summary: 'write the OCI layer for an overlay upperdir', usage: DIFF_USAGE, run: runDiffCommand },
  { name: 'apply', summary: 'apply an OCI layer to a directory, plain or as an overlay lower', usage: APPLY_USAGE, run: runApplyCommand },
  { name: 'flatten', summary: 'apply layers in order into one canonical layer or a directory', usage: FLATTEN_USAGE, run: runFlattenCommand },
  { name: 'verify', summary: "check a layer against the snapshot's merged view", usage: VERIFY_USAGE, run: runVerifyCommand },
  { name: 'inspect', summary: "list a layer's members and lint it", usage: INSPECT_USAGE, run: runInspectCommand },
  { name: 'gc', summary: 'delete unreferenced blobs of an OCI image layout', usage: GC_USAGE, run: runGcCommand },
  { name: 'rm', summary: 'remove a tag from an OCI image layout', usage: RM_USAGE, run: runRmCommand },
  { name: 'fsck', summary: "check an OCI image layout's blobs, references and diffIDs", usage: FSCK_USAGE, run: runFsckCommand },
  { name: 'serve', summary: "serve containerd 2.x's diff API as its differ", usage: SERVE_USAGE, run: runServeCommand, jsonReport: false },
];

/** The command named `name`, or undefined. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
