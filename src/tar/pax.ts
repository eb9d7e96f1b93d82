// Encodes POSIX PAX extended-header records from bytes (pure): values are never decoded as text.

/**
 * One record, `"<len> <key>=<value>\n"`, where len counts every byte of the record including its
 * own digits. Values are raw bytes (NUL, newline and invalid UTF-8 allowed). An empty value is
 * refused: in PAX it deletes the key instead of setting it.
 */
export function encodePaxRecord(key: Buffer, value: Buffer): Buffer {
  if (key.length === 0 || key.includes(0x3d) || key.includes(0)) {
    throw new Error(`invalid PAX key ${JSON.stringify(key.toString('latin1'))}`);
  }
  if (value.length === 0) throw new Error(`empty PAX value for ${key.toString('latin1')} would delete the key`);
  const body = key.length + value.length + 3; // ' ', '=', '\n'
  let length = body + String(body).length;
  // Adding the digits can carry into one more digit (e.g. 98 + 2 = 100 needs 3 digits).
  if (String(length).length !== String(body).length) length = body + String(length).length;
  return Buffer.concat([Buffer.from(`${length} `), key, Buffer.from('='), value, Buffer.from('\n')]);
}

/** The records concatenated, in the given order. */
export function encodePaxRecords(records: readonly (readonly [Buffer, Buffer])[]): Buffer {
  return Buffer.concat(records.map(([key, value]) => encodePaxRecord(key, value)));
}
