import { describe, expect, it } from 'vitest';
import { useCapturedOutput } from '../../fixtures/captured-output.js';
import { main } from './main.js';

const output = useCapturedOutput();

describe('overlaydiff serve (arguments)', () => {
  it('prints the containerd config for the given socket', async () => {
    expect(await main(['serve', '--print-config', '--address', '/run/od/d.sock'])).toBe(0);
    expect(output.out).toContain('[proxy_plugins.overlaydiff]\n  type = "diff"\n  address = "/run/od/d.sock"');
    expect(output.out).toContain('differ = "overlaydiff"');
  });

  it('refuses relative sockets, bad durations and counts as usage errors', async () => {
    expect(await main(['serve', '--address', 'd.sock'])).toBe(2);
    expect(output.err).toContain('--address must be an absolute socket path, not "d.sock"');
    expect(await main(['serve', '--address', '/run/x.sock', '--lease-expire', 'soon'])).toBe(2);
    expect(output.err).toContain('--lease-expire: invalid duration "soon"');
    expect(await main(['serve', '--address', '/run/x.sock', '--max-concurrent', '0'])).toBe(2);
    expect(output.err).toContain('--max-concurrent must be a positive integer, not "0"');
  });
});
