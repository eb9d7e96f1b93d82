import { status } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callDiffer } from '../../fixtures/differ-client.js';
import type { Logger } from './log.js';
import { startServer } from './server.js';

let root: string;
let lines: Array<Record<string, unknown>>;
const log: Logger = (level, msg, fields = {}) => lines.push({ level, msg, ...fields });
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlaydiff-serve-'));
  lines = [];
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('startServer (no containerd needed)', () => {
  it('listens on a 0600 socket, answers refused inputs with UNIMPLEMENTED, logs the call, removes the socket on close', async () => {
    const address = join(root, 'run', 'differ.sock');
    const server = await startServer({ address, containerdAddress: join(root, 'none.sock'), log });
    try {
      expect(lstatSync(address).mode & 0o777).toBe(0o600);
      const answer = await callDiffer(
        address,
        'Apply',
        { diff: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted', digest: `sha256:${'a'.repeat(64)}` } },
        'ns1',
      );
      expect(answer.error?.code).toBe(status.UNIMPLEMENTED);
      expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'call failed', method: 'Apply', namespace: 'ns1', code: 'UNIMPLEMENTED' });
    } finally {
      await server.close(1000);
    }
    expect(() => lstatSync(address)).toThrow(/ENOENT/);
  });

  it('passes containerd being down on as UNAVAILABLE, naming its socket', async () => {
    const address = join(root, 'differ.sock');
    const server = await startServer({ address, containerdAddress: join(root, 'none.sock'), log });
    try {
      const upper = mkdtempSync(join(root, 'upper-'));
      const answer = await callDiffer(
        address,
        'Diff',
        { left: [], right: [{ type: 'bind', source: upper, options: ['ro', 'rbind'] }], mediaType: 'application/vnd.oci.image.layer.v1.tar' },
        'ns1',
      );
      expect(answer.error?.code).toBe(status.UNAVAILABLE);
      expect(answer.error?.details).toContain(`containerd at ${join(root, 'none.sock')}: leases Create`);
    } finally {
      await server.close(1000);
    }
  });

  it('replaces a stale socket and refuses a live one', async () => {
    const address = join(root, 'differ.sock');
    // A socket file whose server is gone, as a crash leaves it.
    execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', address]);
    const server = await startServer({ address, containerdAddress: join(root, 'none.sock'), log });
    await server.close(1000);
    const live = createServer();
    await new Promise<void>((resolve) => live.listen(address, resolve));
    try {
      await expect(startServer({ address, containerdAddress: join(root, 'none.sock'), log })).rejects.toThrow(
        `${address}: another server is listening on this socket`,
      );
    } finally {
      await new Promise((resolve) => live.close(resolve));
    }
  });
});
