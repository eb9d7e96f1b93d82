// The JSON every command prints with --json: one object with a schemaVersion (schemas/*.schema.json describe each).

/**
 * The version of the --json output contract. Adding an optional field keeps it; removing or
 * renaming a field, or changing a field's type or meaning, increments it.
 */
export const SCHEMA_VERSION = 1;

/** `body` with the schemaVersion first, as indented JSON and a newline. */
export function jsonReport(body: object): string {
  return `${JSON.stringify({ schemaVersion: SCHEMA_VERSION, ...body }, null, 2)}\n`;
}
