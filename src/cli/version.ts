// The package's version, read from its package.json.
import { createRequire } from 'node:module';

/** The version in package.json (two levels above src/cli and dist/cli). */
export function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return pkg.version;
}
