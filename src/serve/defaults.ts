// The differ's default socket paths, apart from the server so that help texts name them without loading gRPC.

/** Where `overlaydiff serve` listens unless --address says otherwise. */
export const DEFAULT_ADDRESS = '/run/overlaydiff/differ.sock';
/** containerd's own gRPC socket, which the differ calls back for content. */
export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
