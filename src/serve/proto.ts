// Loads the containerd API subset in proto/containerd (diff, content, leases) and types its messages.
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

// The .proto files sit at the package root, two levels above both src/serve and dist/serve.
const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));

/** containerd.types.Mount as proto-loader decodes it (empty fields filled with defaults). */
export interface WireMount {
  type: string;
  source: string;
  target: string;
  options: string[];
}

/** containerd.types.Descriptor. */
export interface WireDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

export interface WireTimestamp {
  seconds: number;
  nanos: number;
}

export interface DiffRequest {
  left: WireMount[];
  right: WireMount[];
  mediaType: string;
  ref: string;
  labels: Record<string, string>;
  sourceDateEpoch?: WireTimestamp | null;
}

export interface ApplyRequest {
  diff?: WireDescriptor | null;
  mounts: WireMount[];
  payloads: Record<string, unknown>;
  syncFs: boolean;
}

export type WriteAction = 'STAT' | 'WRITE' | 'COMMIT';

export interface WriteContentRequest {
  action: WriteAction;
  ref?: string;
  total?: number;
  expected?: string;
  offset?: number;
  data?: Buffer;
  labels?: Record<string, string>;
}

export interface WriteContentResponse {
  action: WriteAction;
  offset: number;
  total: number;
  digest: string;
}

export interface ContentInfo {
  digest: string;
  size: number;
  labels: Record<string, string>;
}

export interface ReadContentResponse {
  offset: number;
  data: Buffer;
}

interface Services {
  /** The Diff client class; its `service` is the definition the server implements. */
  Diff: ServiceClientConstructor;
  Content: ServiceClientConstructor;
  Leases: ServiceClientConstructor;
}

let loaded: Services | undefined;

/** The Diff, Content and Leases client classes, loaded once from the .proto files. */
export function containerdServices(): Services {
  if (loaded !== undefined) return loaded;
  const definition = loadSync(['containerd/diff.proto', 'containerd/content.proto', 'containerd/leases.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
  });
  const root = loadPackageDefinition(definition);
  const service = (pkg: string, name: string): ServiceClientConstructor => {
    let node: unknown = root;
    for (const part of pkg.split('.')) node = (node as GrpcObject)[part];
    return (node as GrpcObject)[name] as ServiceClientConstructor;
  };
  loaded = {
    Diff: service('containerd.services.diff.v1', 'Diff'),
    Content: service('containerd.services.content.v1', 'Content'),
    Leases: service('containerd.services.leases.v1', 'Leases'),
  };
  return loaded;
}
