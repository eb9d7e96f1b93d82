// Image reference names (`org.opencontainers.image.ref.name`): the OCI grammar and the default tag.

/** The tag when none is given. */
export const DEFAULT_TAG = 'latest';

// image-spec annotations.md: ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*;
// alphanum ::= [A-Za-z0-9]+; separator ::= [-._:@+] | "--".
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** True when `name` matches the image-spec grammar for `org.opencontainers.image.ref.name`. */
export function isValidRefName(name: string): boolean {
  return REF_NAME.test(name);
}
