import { describe, expect, it } from 'vitest';
import { parseInspectArgs } from './inspect-command.js';

describe('parseInspectArgs', () => {
  it('parses the layer, lint and lowers', () => {
    expect(parseInspectArgs(['l.tar', '--lint', '--lower', '/a:/b', '--xattr-namespace', 'user', '--json'])).toEqual({
      kind: 'layer',
      options: { layer: 'l.tar', lint: true, lowers: ['/a', '/b'], xattrNamespace: 'user' },
      json: true,
    });
    expect(() => parseInspectArgs([])).toThrow(/needs LAYER or --layout DIR/);
    expect(() => parseInspectArgs(['l.tar', '--lower', '/a'])).toThrow(/go with --lint/);
    expect(() => parseInspectArgs(['l.tar', '--lint', '--xattr-namespace', 'x'])).toThrow(/trusted or user/);
  });

  it('parses the image form and refuses mixed forms', () => {
    expect(parseInspectArgs(['--layout', 'L', '--tag', 'v1', '--lint', '--json'])).toEqual({
      kind: 'image',
      options: { layout: 'L', lint: true, tag: 'v1' },
      json: true,
    });
    expect(() => parseInspectArgs(['l.tar', '--layout', 'L'])).toThrow(/either LAYER or --layout/);
    expect(() => parseInspectArgs(['l.tar', '--tag', 'v1'])).toThrow(/--tag goes with --layout/);
    expect(() => parseInspectArgs(['--layout', 'L', '--lint', '--lower', '/a'])).toThrow(/layers below it/);
  });
});
