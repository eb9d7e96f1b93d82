// The command table: each command's name, one-line summary, help text and entry point.
// Entry points load their module on first call: help, version and completion need only the texts,
// and a command loads what it runs (the diff engine, the store, gRPC), not every other command's.
import { APPLY_USAGE, DIFF_USAGE, FLATTEN_USAGE, FSCK_USAGE, GC_USAGE, INSPECT_USAGE, RM_USAGE, SERVE_USAGE, VERIFY_USAGE } from './usage-texts.js';

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

type Run = Command['run'];

export const COMMANDS: readonly Command[] = [
  {
    name: 'diff',
    summary: 'write the OCI layer for an overlay upperdir',
    usage: DIFF_USAGE,
    run: async (a) => (await import('./diff-command.js')).runDiffCommand(a),
  },
  {
    name: 'apply',
    summary: 'apply an OCI layer to a directory, plain or as an overlay lower',
    usage: APPLY_USAGE,
    run: async (a) => (await import('./apply-command.js')).runApplyCommand(a),
  },
  {
    name: 'flatten',
    summary: 'apply layers in order into one canonical layer or a directory',
    usage: FLATTEN_USAGE,
    run: async (a) => (await import('./flatten-command.js')).runFlattenCommand(a),
  },
  {
    name: 'verify',
    summary: "check a layer against the snapshot's merged view",
    usage: VERIFY_USAGE,
    run: async (a) => (await import('./verify-command.js')).runVerifyCommand(a),
  },
  {
    name: 'inspect',
    summary: "list a layer's members and lint it",
    usage: INSPECT_USAGE,
    run: async (a) => (await import('./inspect-command.js')).runInspectCommand(a),
  },
  { name: 'gc', summary: 'delete unreferenced blobs of an OCI image layout', usage: GC_USAGE, run: layoutCommand('runGcCommand') },
  { name: 'rm', summary: 'remove a tag from an OCI image layout', usage: RM_USAGE, run: layoutCommand('runRmCommand') },
  { name: 'fsck', summary: "check an OCI image layout's blobs, references and diffIDs", usage: FSCK_USAGE, run: layoutCommand('runFsckCommand') },
  {
    name: 'serve',
    summary: "serve containerd 2.x's diff API as its differ",
    usage: SERVE_USAGE,
    run: async (a) => (await import('./serve-command.js')).runServeCommand(a),
    jsonReport: false,
  },
];

function layoutCommand(name: 'runGcCommand' | 'runRmCommand' | 'runFsckCommand'): Run {
  return async (args) => (await import('./layout-commands.js'))[name](args);
}

/** The command named `name`, or undefined. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
