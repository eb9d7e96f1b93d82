import { describe, expect, it } from 'vitest';
import { cliMessage } from './error-report.js';

describe('cliMessage', () => {
  it('names the CLI flag where the library names its option, with the value when there is one', () => {
    expect(cliMessage('/u: mounted with index=on; pass option `workdir` (the workdir of the mount) to diff it')).toBe(
      '/u: mounted with index=on; pass --workdir (the workdir of the mount) to diff it',
    );
    expect(cliMessage("use the user namespace (option `xattrNamespace`: 'user')")).toBe('use the user namespace (--xattr-namespace user)');
    expect(cliMessage('give them as paths (option `upper`, option `lowers`)')).toBe('give them as paths (--upper, --lower)');
  });

  it('leaves options it has no flag for, and other text, alone', () => {
    expect(cliMessage('option `sysfsDir` is wrong')).toBe('option `sysfsDir` is wrong');
    expect(cliMessage('plain message')).toBe('plain message');
  });
});
