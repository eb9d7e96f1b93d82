// The containerd 2.x configuration that makes containerd use `overlaydiff serve` as its differ.

/** containerd's platform name for this machine (`linux/amd64`, `linux/arm64`, ...). */
export function containerdPlatform(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return `linux/${names[arch] ?? arch}`;
}

/**
 * The config (version 3) snippet: the proxy plugin, the diff service trying overlaydiff first and
 * containerd's `walking` for what overlaydiff answers UNIMPLEMENTED, and the transfer service's
 * unpacker (which takes exactly one differ) using overlaydiff with the overlayfs snapshotter.
 */
export function configSnippet(address: string, platform: string = containerdPlatform()): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    '# containerd >= 2.0 (/etc/containerd/config.toml, version = 3); restart containerd after editing.',
    'version = 3',
    '',
    '[proxy_plugins.overlaydiff]',
    '  type = "diff"',
    `  address = ${q(address)}`,
    '',
    '[plugins."io.containerd.service.v1.diff-service"]',
    '  default = ["overlaydiff", "walking"]',
    '',
    '[[plugins."io.containerd.transfer.v1.local".unpack_config]]',
    `  platform = ${q(platform)}`,
    '  snapshotter = "overlayfs"',
    '  differ = "overlaydiff"',
    '',
  ].join('\n');
}
