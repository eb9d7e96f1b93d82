// The differ server: a gRPC server on a 0600 unix socket serving Diff and Apply, bounded in concurrency, stopped gracefully.
import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { lstatSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { OverlaydiffError, errnoCode, ioError } from '../errors.js';
import { handleApply } from './apply-handler.js';
import { callContext, type CallContext } from './call-context.js';
import { ContainerdClient } from './containerd-client.js';
import { handleDiff } from './diff-handler.js';
import { GrpcError, serviceError, toStatus } from './grpc-status.js';
import { Limiter } from './limiter.js';
import { describeMounts, type Logger } from './log.js';
import { prepareSocketPath } from './socket-path.js';
import { containerdServices, type ApplyRequest, type DiffRequest, type WireDescriptor } from './proto.js';
import { DEFAULT_ADDRESS, DEFAULT_CONTAINERD_ADDRESS } from './defaults.js';

export { DEFAULT_ADDRESS, DEFAULT_CONTAINERD_ADDRESS };

export interface ServeOptions {
  /** The socket to serve on. Default: /run/overlaydiff/differ.sock. */
  readonly address?: string;
  /** containerd's grpc socket, for its content and lease services. Default: /run/containerd/containerd.sock. */
  readonly containerdAddress?: string;
  /** Calls doing work at once; more wait in order. Default: the number of CPUs, at least 2. */
  readonly maxConcurrent?: number;
  /** How long our lease protects a new blob from garbage collection. Default: 24 h. */
  readonly leaseExpireMs?: number;
  readonly log: Logger;
}

export interface RunningServer {
  readonly address: string;
  /**
   * Stops accepting calls, lets in-flight calls finish for `graceMs`, then aborts them (their
   * content writes are aborted) and waits up to `graceMs` more; removes the socket.
   */
  close(graceMs: number): Promise<void>;
}

interface Answer {
  readonly response: { diff: WireDescriptor } | { applied: WireDescriptor };
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Binds the socket (replacing a stale one, refusing a live one), mode 0600, and serves until closed. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const address = options.address ?? DEFAULT_ADDRESS;
  const client = new ContainerdClient(options.containerdAddress ?? DEFAULT_CONTAINERD_ADDRESS);
  const limiter = new Limiter(options.maxConcurrent ?? Math.max(2, availableParallelism()));
  const leaseExpireMs = options.leaseExpireMs ?? 24 * 3600 * 1000;
  const log = options.log;
  const inFlight = new Map<CallContext, Promise<void>>();
  let closing = false;

  const handler =
    <Req>(method: 'Diff' | 'Apply', run: (request: Req, ctx: CallContext) => Promise<Answer>) =>
    (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
      const started = performance.now();
      const base = { method, mounts: mountsOf(call.request) };
      const fail = (err: unknown, aborted: unknown, namespace?: string): void => {
        const { code, details } = toStatus(err, aborted);
        log('error', 'call failed', { ...base, namespace, code: status[code], error: details, durationMs: Math.round(performance.now() - started) });
        callback(serviceError(code, details));
      };
      let ctx: CallContext;
      try {
        if (closing) throw new GrpcError(status.UNAVAILABLE, 'the differ is stopping');
        ctx = callContext(call);
      } catch (err) {
        fail(err, undefined);
        return;
      }
      const done = limiter
        .run(ctx.signal, () => run(call.request, ctx))
        .then(
          ({ response, fields }) => {
            log('info', 'call done', { ...base, namespace: ctx.namespace, ...fields, durationMs: Math.round(performance.now() - started) });
            callback(null, response);
          },
          (err: unknown) => fail(err, ctx.signal.aborted ? ctx.signal.reason : undefined, ctx.namespace),
        )
        .finally(() => {
          ctx.dispose();
          inFlight.delete(ctx);
        });
      inFlight.set(ctx, done);
    };

  const server = new Server({ 'grpc.max_receive_message_length': 16 << 20 });
  server.addService(containerdServices().Diff.service, {
    Diff: handler<DiffRequest>('Diff', async (request, ctx) => {
      const outcome = await handleDiff(request, ctx, { client, leaseExpireMs });
      const d = outcome.descriptor;
      return { response: { diff: d }, fields: { mediaType: d.mediaType, digest: d.digest, diffID: outcome.diffID, bytes: d.size, existed: outcome.existed } };
    }),
    Apply: handler<ApplyRequest>('Apply', async (request, ctx) => {
      const outcome = await handleApply(request, ctx, client);
      const d = outcome.descriptor;
      return {
        response: { applied: d },
        fields: {
          mediaType: request.diff?.mediaType,
          digest: request.diff?.digest,
          diffID: d.digest,
          bytes: outcome.blobBytes,
          tarBytes: d.size,
          target: outcome.target.dir,
          format: outcome.target.format,
        },
      };
    }),
  });

  await prepareSocketPath(address);
  // The socket grants reading every mounted snapshot: no moment with a wider mode than 0600.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${address}`, ServerCredentials.createInsecure(), (err) => (err === null ? resolve() : reject(err)));
    });
  } catch (err) {
    client.close();
    throw new OverlaydiffError('E_IO', `${address}: cannot listen: ${err instanceof Error ? err.message : String(err)}`, { path: address, cause: err });
  } finally {
    process.umask(umask);
  }
  const socketIno = lstatSync(address).ino;

  const close = async (graceMs: number): Promise<void> => {
    closing = true;
    const shutdown = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    const settled = (): Promise<unknown> => Promise.allSettled([...inFlight.values()]);
    if ((await Promise.race([settled().then(() => true), sleep(graceMs).then(() => false)])) === false) {
      log('info', 'aborting in-flight calls', { calls: inFlight.size });
      for (const ctx of inFlight.keys()) ctx.abort(new GrpcError(status.UNAVAILABLE, 'the differ is stopping; the call was aborted'));
      await Promise.race([settled(), sleep(graceMs)]);
    }
    await Promise.race([shutdown, sleep(1000)]);
    server.forceShutdown();
    client.close();
    removeOwnSocket(address, socketIno);
  };
  return { address, close };
}

function mountsOf(request: unknown): Record<string, string[]> {
  const r = request as Partial<DiffRequest & ApplyRequest>;
  const out: Record<string, string[]> = {};
  if (r.left !== undefined) out['left'] = describeMounts(r.left);
  if (r.right !== undefined) out['right'] = describeMounts(r.right);
  if (r.mounts !== undefined) out['mounts'] = describeMounts(r.mounts);
  return out;
}

// Only the socket we bound: a successor may already listen on a new one at the same path.
function removeOwnSocket(address: string, ino: number): void {
  try {
    if (lstatSync(address).ino === ino) unlinkSync(address);
  } catch (err) {
    // ENOENT: the listener's close removed it already.
    if (errnoCode(err) !== 'ENOENT') throw ioError('remove the socket', address, err);
  }
}
