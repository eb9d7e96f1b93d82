// Per-call context: the containerd namespace from the call's metadata and one AbortSignal for cancel, deadline and shutdown.
import { status, type Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { GrpcError } from './grpc-status.js';

/** containerd's namespace travels as gRPC metadata (pkg/namespaces/grpc.go). */
export const NAMESPACE_HEADER = 'containerd-namespace';

export interface CallContext {
  readonly namespace: string;
  /** Aborted with a GrpcError (CANCELLED, DEADLINE_EXCEEDED or UNAVAILABLE) saying why. */
  readonly signal: AbortSignal;
  /** Abort the call from the server side (shutdown). */
  abort(reason: GrpcError): void;
  /** Stop watching the call (timers, listeners); call once the handler settled. */
  dispose(): void;
}

/** The namespace of a call; INVALID_ARGUMENT when containerd sent none (every content and lease call needs one). */
export function namespaceOf(metadata: Metadata): string {
  const value = metadata.get(NAMESPACE_HEADER)[0];
  const namespace = typeof value === 'string' ? value : value?.toString('utf8');
  if (namespace === undefined || namespace === '') {
    throw new GrpcError(status.INVALID_ARGUMENT, `the call carries no ${NAMESPACE_HEADER} metadata: containerd sends the namespace of the operation`);
  }
  return namespace;
}

/** Watches `call`: its cancellation and its deadline abort the returned signal. */
export function callContext(call: ServerUnaryCall<unknown, unknown>): CallContext {
  const namespace = namespaceOf(call.metadata);
  const controller = new AbortController();
  const abort = (reason: GrpcError): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  const passed = (): void => abort(new GrpcError(status.DEADLINE_EXCEEDED, `the caller's deadline (${new Date(at).toISOString()}) passed`));
  // grpc-js also reports a passed deadline as 'cancelled'; name the real reason.
  const onCancel = (): void => (Date.now() >= at ? passed() : abort(new GrpcError(status.CANCELLED, 'the caller cancelled the call')));
  call.on('cancelled', onCancel);
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(at)) timer = setTimeout(passed, Math.max(0, at - Date.now()));
  return {
    namespace,
    signal: controller.signal,
    abort,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      call.off('cancelled', onCancel);
    },
  };
}
