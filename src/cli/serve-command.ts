// `overlaydiff serve`: runs the containerd 2.x differ (proxy plugin of type "diff") until SIGTERM or SIGINT.
import { helpRequested, parseCommandArgs } from './command-args.js';
import { OverlaydiffError } from '../errors.js';
import { configSnippet } from '../serve/config-snippet.js';
import { jsonLogger } from '../serve/log.js';
import { DEFAULT_ADDRESS, DEFAULT_CONTAINERD_ADDRESS, startServer } from '../serve/server.js';
import { parseDuration } from '../store/grace.js';
import { SERVE_USAGE } from './usage-texts.js';

/** Runs `serve`; resolves with the exit status once stopped by a signal. */
export async function runServeCommand(args: readonly string[]): Promise<number> {
  if (helpRequested(args, SERVE_USAGE)) return 0;
  const { values, positionals } = parseCommandArgs(args, {
    address: { type: 'string', default: DEFAULT_ADDRESS },
    'containerd-address': { type: 'string', default: DEFAULT_CONTAINERD_ADDRESS },
    'max-concurrent': { type: 'string' },
    'lease-expire': { type: 'string', default: '24h' },
    'shutdown-timeout': { type: 'string', default: '10s' },
    'print-config': { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new OverlaydiffError('E_USAGE', `unexpected argument ${JSON.stringify(positionals[0])}`);
  const address = absolute('--address', values.address);
  if (values['print-config']) {
    process.stdout.write(configSnippet(address));
    return 0;
  }
  const maxConcurrent = values['max-concurrent'] === undefined ? undefined : positiveInteger('--max-concurrent', values['max-concurrent']);
  const log = jsonLogger(process.stderr);
  const server = await startServer({
    address,
    containerdAddress: absolute('--containerd-address', values['containerd-address']),
    leaseExpireMs: duration('--lease-expire', values['lease-expire']),
    log,
    ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
  });
  const shutdownMs = duration('--shutdown-timeout', values['shutdown-timeout']);
  log('info', 'serving', { address: server.address, containerdAddress: values['containerd-address'], pid: process.pid });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM')).once('SIGINT', () => resolve('SIGINT'));
  });
  log('info', 'stopping', { signal });
  await server.close(shutdownMs);
  log('info', 'stopped', {});
  return 0;
}

function absolute(option: string, path: string): string {
  if (!path.startsWith('/')) throw new OverlaydiffError('E_USAGE', `${option} must be an absolute socket path, not ${JSON.stringify(path)}`);
  return path;
}

function duration(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new OverlaydiffError('E_USAGE', `${option}: invalid duration ${JSON.stringify(text)} (e.g. 30s, 10m, 24h)`);
  return ms;
}

function positiveInteger(option: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new OverlaydiffError('E_USAGE', `${option} must be a positive integer, not ${JSON.stringify(text)}`);
  return n;
}
