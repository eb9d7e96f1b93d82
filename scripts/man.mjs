// Writes the man pages generated from the built CLI's help texts into DIR (make man; make build puts them in dist/man).
// Their date is the release date of this version in CHANGELOG.md, so the pages are reproducible.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manPages } from '../dist/cli/man-pages.js';
import { packageVersion } from '../dist/cli/version.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node scripts/man.mjs DIR');
const version = packageVersion();
const changelog = readFileSync(new URL('../CHANGELOG.md', import.meta.url), 'utf8');
const released = changelog.match(new RegExp(`^## \\[${version.replaceAll('.', '\\.')}\\] - (\\d{4}-\\d{2}-\\d{2})$`, 'm'));
if (released === null) throw new Error(`CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" heading`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const [name, text] of manPages(version, released[1])) writeFileSync(join(dir, name), text);
