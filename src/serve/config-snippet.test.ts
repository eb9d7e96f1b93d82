import { describe, expect, it } from 'vitest';
import { configSnippet, containerdPlatform } from './config-snippet.js';

describe('configSnippet', () => {
  it('names the socket, the diff-service order and the unpack differ', () => {
    const text = configSnippet('/run/overlaydiff/differ.sock', 'linux/amd64');
    expect(text).toContain('[proxy_plugins.overlaydiff]\n  type = "diff"\n  address = "/run/overlaydiff/differ.sock"');
    expect(text).toContain('default = ["overlaydiff", "walking"]');
    expect(text).toContain('platform = "linux/amd64"\n  snapshotter = "overlayfs"\n  differ = "overlaydiff"');
  });

  it('quotes paths as TOML basic strings', () => {
    expect(configSnippet('/run/a "b"/d.sock', 'linux/arm64')).toContain('address = "/run/a \\"b\\"/d.sock"');
  });

  it('maps Node architectures to containerd platforms', () => {
    expect(containerdPlatform('x64')).toBe('linux/amd64');
    expect(containerdPlatform('arm64')).toBe('linux/arm64');
  });
});
