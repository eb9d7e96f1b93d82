// Validates an image reference name (`org.opencontainers.image.ref.name`) against the OCI grammar.

// image-spec annotations.md: ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*;
// alphanum ::= [A-Za-z0-9]+; separator ::= [-._:@+] | "--".
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** True when `name` matches the image-spec grammar for `org.opencontainers.image.ref.name`. */
export function isValidRefName(name: string): boolean {
  return REF_NAME.test(name);
}
