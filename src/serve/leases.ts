// Leases of our own that keep a blob we wrote from containerd's garbage collector until its caller references it.
import { randomBytes } from 'node:crypto';
import { callMetadata, type ContainerdClient } from './containerd-client.js';

/** containerd deletes a lease once this time (RFC 3339) has passed (core/metadata/gc.go). */
export const GC_EXPIRE_LABEL = 'containerd.io/gc.expire';

/**
 * Creates a lease in `namespace` that expires after `expireMs`; content written with its id in the
 * `containerd-lease` metadata is kept at least that long. The caller's own lease is not forwarded to
 * a proxy differ, so without this a new blob could be collected before the caller labels it.
 */
export async function createLease(client: ContainerdClient, namespace: string, expireMs: number, signal?: AbortSignal): Promise<string> {
  const id = `overlaydiff-${Date.now()}-${randomBytes(4).toString('hex')}`;
  // Go's time.Parse(time.RFC3339) accepts this form (UTC, whole seconds).
  const expire = new Date(Date.now() + expireMs).toISOString().replace(/\.\d+Z$/, 'Z');
  await client.unary('leases', 'Create', { id, labels: { [GC_EXPIRE_LABEL]: expire } }, callMetadata(namespace), signal);
  return id;
}

/** Deletes the lease; what it held becomes collectable unless something else references it. */
export async function deleteLease(client: ContainerdClient, namespace: string, id: string): Promise<void> {
  await client.unary('leases', 'Delete', { id, sync: false }, callMetadata(namespace));
}
