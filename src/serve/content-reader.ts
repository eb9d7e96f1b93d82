// Reads a blob from containerd's content store (Content/Read, a server stream), checking each chunk's offset.
import { status } from '@grpc/grpc-js';
import { callMetadata, containerdError, type ContainerdClient } from './containerd-client.js';
import { GrpcError } from './grpc-status.js';
import type { ReadContentResponse } from './proto.js';

/**
 * Yields the bytes of blob `digest` in `namespace`, in order. Stopping early (or `signal`) cancels the
 * stream. A gap or overlap in the offsets containerd sends is DATA_LOSS, never silently joined.
 */
export async function* readBlob(client: ContainerdClient, namespace: string, digest: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const call = client.openRead({ digest, offset: 0, size: 0 }, callMetadata(namespace));
  const cancel = (): void => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  let offset = 0;
  let done = false;
  try {
    for await (const message of call as AsyncIterable<ReadContentResponse>) {
      if (message.offset !== offset) {
        throw new GrpcError(status.DATA_LOSS, `content read ${digest}: containerd sent offset ${message.offset}, expected ${offset}`);
      }
      offset += message.data.length;
      yield message.data;
    }
    done = true;
  } catch (err) {
    signal?.throwIfAborted();
    if (err instanceof GrpcError) throw err;
    throw containerdError(`content read ${digest}`, client.address, err);
  } finally {
    signal?.removeEventListener('abort', cancel);
    if (!done) call.cancel();
  }
}
