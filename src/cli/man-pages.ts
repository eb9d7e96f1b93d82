// Every man page of the CLI: overlaydiff(1) from the top-level help, overlaydiff-CMD(1) from each command's.
import { allCommands, topUsage } from './builtin-commands.js';
import { manPage } from './man-page.js';

/** File name → page text, for `make man`. */
export function manPages(version: string, date: string): Map<string, string> {
  const commands = allCommands();
  const pages = new Map<string, string>();
  const top = 'overlaydiff';
  pages.set(
    `${top}.1`,
    manPage(
      { name: top, summary: 'turn overlayfs snapshots into OCI image layers', usage: topUsage(), seeAlso: commands.map((c) => `${top}-${c.name}(1)`) },
      version,
      date,
    ),
  );
  for (const c of commands) {
    pages.set(`${top}-${c.name}.1`, manPage({ name: `${top}-${c.name}`, summary: c.summary, usage: c.usage, seeAlso: [`${top}(1)`] }, version, date));
  }
  return pages;
}
