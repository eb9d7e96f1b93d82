// A gRPC connection to containerd's own socket: unary calls with the namespace (and lease) as metadata, errors naming the call.
import {
  Metadata,
  credentials,
  status,
  type CallOptions,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { NAMESPACE_HEADER } from './call-context.js';
import { GrpcError, isServiceError } from './grpc-status.js';
import { containerdServices } from './proto.js';

/** containerd attaches the content a call writes to this lease (core/leases/grpc.go). */
export const LEASE_HEADER = 'containerd-lease';

// containerd sends up to 16 MiB per message (defaults.DefaultMaxRecvMsgSize).
const MAX_MESSAGE_BYTES = 16 << 20;

type Callback = (err: ServiceError | null, response?: unknown) => void;
type UnaryMethod = (request: object, metadata: Metadata, options: CallOptions, callback: Callback) => { cancel(): void };

/** The metadata of a call in `namespace`, writing into `lease` when given. */
export function callMetadata(namespace: string, lease?: string): Metadata {
  const metadata = new Metadata();
  metadata.set(NAMESPACE_HEADER, namespace);
  if (lease !== undefined) metadata.set(LEASE_HEADER, lease);
  return metadata;
}

/** containerd's answer to a call, kept with its status code and prefixed with what was asked of whom. */
export function containerdError(what: string, address: string, err: unknown): GrpcError {
  if (isServiceError(err)) {
    // A containerd that does not answer is UNAVAILABLE for the caller too, never a fallback.
    return new GrpcError(err.code, `containerd at ${address}: ${what}: ${err.details || err.message}`, { cause: err });
  }
  return new GrpcError(status.INTERNAL, `containerd at ${address}: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export class ContainerdClient {
  readonly address: string;
  readonly #content: Client;
  readonly #leases: Client;

  /** `address` is containerd's grpc socket path (`[grpc] address` in its config). */
  constructor(address: string) {
    this.address = address;
    const { Content, Leases } = containerdServices();
    const channelOptions = { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES };
    this.#content = new Content(`unix://${address}`, credentials.createInsecure(), channelOptions);
    // The same target and options share one channel (one connection) in grpc-js.
    this.#leases = new Leases(`unix://${address}`, credentials.createInsecure(), channelOptions);
  }

  /** Calls a unary method of the content (`content`) or lease (`leases`) service; the signal cancels it. */
  async unary<T>(service: 'content' | 'leases', method: string, request: object, metadata: Metadata, signal?: AbortSignal): Promise<T> {
    const client = service === 'content' ? this.#content : this.#leases;
    const fn = (client as unknown as Record<string, UnaryMethod>)[method];
    if (fn === undefined) throw new Error(`${service} has no method ${method}`);
    signal?.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const call = fn.call(client, request, metadata, {}, (err, response) => {
        signal?.removeEventListener('abort', cancel);
        if (err !== null) reject(containerdError(`${service} ${method}`, this.address, err));
        else resolve(response as T);
      });
      const cancel = (): void => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Opens Content/Write (bidirectional). */
  openWrite(metadata: Metadata): ClientDuplexStream<object, unknown> {
    const write = (this.#content as unknown as { Write(metadata: Metadata): ClientDuplexStream<object, unknown> }).Write;
    return write.call(this.#content, metadata);
  }

  /** Opens Content/Read (server stream). */
  openRead(request: object, metadata: Metadata): ClientReadableStream<unknown> {
    const read = (this.#content as unknown as { Read(request: object, metadata: Metadata): ClientReadableStream<unknown> }).Read;
    return read.call(this.#content, request, metadata);
  }

  close(): void {
    this.#content.close();
    this.#leases.close();
  }
}
