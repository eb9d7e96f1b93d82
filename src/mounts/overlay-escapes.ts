// The syntax of overlayfs option values: splitting mount data at commas, lowerdir= lists at colons, and path escapes (fs/overlayfs/params.c).
import { OverlaydiffError } from '../errors.js';

/**
 * Splits a mount(2) data string into options as overlayfs does (`ovl_next_opt`): at each ','
 * not escaped by a backslash. Escapes stay in the options (the path parsers remove them);
 * empty options are dropped, like `vfs_parse_monolithic_sep`.
 */
export function splitMountData(data: string): string[] {
  const options: string[] = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === '\\') i++;
    else if (data[i] === ',') {
      if (i > start) options.push(data.slice(start, i));
      start = i + 1;
    }
  }
  if (data.length > start) options.push(data.slice(start));
  return options;
}

/** Removes overlayfs path escapes (`ovl_unescape`): each backslash is dropped and the character after it kept. */
export function unescapeOverlayPath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '\\') i++;
    if (i < path.length) out += path[i];
  }
  return out;
}

/**
 * Splits a `lowerdir=` value as `ovl_parse_param_split_lowerdirs` does: layers are separated by an
 * unescaped ':', and '::' starts the data-only layers (every layer after it is data-only). Paths
 * are unescaped (`\:` → ':', `\,` → ',', `\\` → '\'). Throws E_USAGE where the kernel refuses,
 * the message starting with `label` (what the user wrote the list as).
 */
export function splitLowerdir(value: string, label = `lowerdir=${value}`): { lowers: string[]; dataLowers: string[] } {
  const lowers: string[] = [];
  const dataLowers: string[] = [];
  if (value === '') return { lowers, dataLowers };
  if (value.startsWith(':')) throw bad(`${label}: a layer list cannot start with ':'`);
  let current = '';
  let data = false;
  let i = 0;
  const push = (): void => {
    (data ? dataLowers : lowers).push(unescapeOverlayPath(current));
  };
  while (i < value.length) {
    const ch = value[i]!;
    if (ch === '\\') {
      current += value.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (ch !== ':') {
      current += ch;
      i++;
      continue;
    }
    let colons = 0;
    while (value[i] === ':') {
      colons++;
      i++;
    }
    if (colons > 2) throw bad(`${label}: only ':' or '::' may separate layers`);
    if (i === value.length) throw bad(`${label}: unescaped trailing ':'`);
    push();
    current = '';
    if (colons === 2) data = true;
    else if (data) throw bad(`${label}: regular layers cannot follow data-only layers ('::')`);
  }
  push();
  return { lowers, dataLowers };
}

function bad(message: string): OverlaydiffError {
  return new OverlaydiffError('E_USAGE', message);
}
