// Splits a ':'-separated directory list the way overlayfs reads lowerdir= ('\:' is a literal colon).

/** `a:b\:c` → ['a', 'b:c']; a backslash escapes the next character; empty items are kept out. */
export function splitPathList(list: string): string[] {
  const items: string[] = [];
  let current = '';
  for (let i = 0; i < list.length; i++) {
    const ch = list[i]!;
    if (ch === '\\' && i + 1 < list.length) {
      current += list[++i];
    } else if (ch === ':') {
      if (current !== '') items.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') items.push(current);
  return items;
}
