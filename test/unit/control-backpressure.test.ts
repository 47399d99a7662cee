// A control client that sends requests and never reads the answers (issue #16, part 4:
// memory bounded): once 1 MiB of its answers wait unread, the server stops reading its
// requests, so they wait in the client's socket and not in the daemon's memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { createControlServer } from '../../src/control/server.js';
import type { Snapshot } from '../../src/control/snapshot.js';

const dir = mkdtempSync(join(tmpdir(), `vctlbp${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('control socket: a client that does not read', () => {
  it('is answered up to about 1 MiB, then no longer read; other clients are served', async () => {
    const path = join(dir, 'bp.sock');
    let answered = 0;
    const big = { version: 1, pad: 'x'.repeat(100_000) } as unknown as Snapshot;
    const srv = await createControlServer({
      path,
      handlers: {
        status: () => {
          answered++;
          return big;
        },
        reload: async () => ({ ok: true, summary: 'no changes' }),
      },
    });
    const s = connect(path);
    try {
      await new Promise<void>((r) => s.once('connect', () => r()));
      s.pause(); // never reads
      const line = `${JSON.stringify({ id: 1, method: 'status' })}\n`;
      let sent = 0;
      // a few requests every ms, under the server's limit of unanswered requests
      for (let t = 0; t < 300; t++) {
        for (let k = 0; k < 3; k++) {
          s.write(line);
          sent++;
        }
        await sleep(1);
      }
      await sleep(300);
      // 900 requests of 100 kB answers: without the pause the server would hold ~90 MB
      console.log(`client that does not read: ${sent} requests sent, ${answered} answered`);
      expect(sent).toBe(900);
      expect(answered).toBeLessThan(60);
      // another client is served all the while
      expect(await request(path, 'ping')).toEqual({ pid: process.pid });
      // once it reads, it gets the answers written so far; the requests still unread
      // then arrive together, more than the 16 unanswered a connection may have: the
      // server drops it as a flood (and carries on)
      let got = 0;
      let buf = '';
      const closed = new Promise<void>((r) => s.once('close', () => r()));
      s.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          got++;
          buf = buf.slice(i + 1);
        }
      });
      s.resume();
      await Promise.race([closed, sleep(15_000)]);
      expect(s.destroyed || s.readableEnded).toBe(true);
      expect(got).toBeGreaterThanOrEqual(answered - 16);
      expect(await request(path, 'ping')).toEqual({ pid: process.pid });
    } finally {
      s.destroy();
      await srv.close();
    }
  }, 30_000);
});
