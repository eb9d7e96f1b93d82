// Calls `overlaydiff serve` directly over gRPC, as containerd's diff service would, with a namespace and an optional deadline.
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { containerdServices } from '../../src/serve/proto.js';

export interface DifferAnswer {
  readonly error?: ServiceError;
  readonly response?: Record<string, unknown>;
}

/** One unary call of the Diff service (`Diff` or `Apply`); never rejects, the status is in `error`. */
export function callDiffer(address: string, method: 'Diff' | 'Apply', request: object, namespace: string | undefined, deadlineMs?: number): Promise<DifferAnswer> {
  const { Diff } = containerdServices();
  const client = new Diff(`unix://${address}`, credentials.createInsecure());
  const metadata = new Metadata();
  if (namespace !== undefined) metadata.set('containerd-namespace', namespace);
  const fn = (client as unknown as Record<string, (r: object, m: Metadata, o: object, cb: (e: ServiceError | null, r?: unknown) => void) => void>)[method]!;
  return new Promise((resolve) => {
    fn.call(client, request, metadata, deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs }, (error, response) => {
      client.close();
      resolve(error === null ? { response: response as Record<string, unknown> } : { error });
    });
  });
}
