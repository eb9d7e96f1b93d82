// Where a command's report (result or error) goes: stdout, unless stdout carries the layer itself.

let stdoutIsData = false;

/** Called by a command that writes a layer to stdout: its report and errors then go to stderr. */
export function reserveStdoutForData(): void {
  stdoutIsData = true;
}

/** Called once per command line, before the command runs. */
export function resetReportStream(): void {
  stdoutIsData = false;
}

/** stdout, or stderr when stdout carries data. */
export function reportStream(): NodeJS.WriteStream {
  return stdoutIsData ? process.stderr : process.stdout;
}
