// startReadingBatch (recvmmsg into one ArrayBuffer, one JS call per batch), rootless over
// UDP on loopback: every datagram arrives once, in order, at its slot with its length, TTL,
// interface and both addresses; one longer than a slot is an EMSGSIZE error and the rest
// still arrive. The raw VRRP sockets read this way (test/netns/transport.test.ts, vrrp-*).
import { describe, expect, it } from 'vitest';
import {
  addon,
  BATCH_HAS_DST,
  BATCH_HAS_SRC,
  BATCH_META_INTS,
  c,
  type NativeError,
} from '../../src/native/index.js';

const SLOT = 1024;
const SLOTS = 8;

describe('native batched reading', () => {
  it('delivers datagrams in batches with their facts; an oversized one is an EMSGSIZE error', async () => {
    const a = addon();
    const rx = new a.Socket(c('AF_INET'), c('SOCK_DGRAM'), 0);
    const tx = new a.Socket(c('AF_INET'), c('SOCK_DGRAM'), 0);
    try {
      rx.setIntOption(c('IPPROTO_IP'), c('IP_PKTINFO'), 1);
      rx.setIntOption(c('IPPROTO_IP'), c('IP_RECVTTL'), 1);
      rx.bind({ address: '127.0.0.1', port: 0 });
      const port = rx.getsockname() as { port: number };
      const to = { address: '127.0.0.1', port: port.port };
      const area = new ArrayBuffer(SLOTS * SLOT);
      const meta = new Int32Array(SLOTS * BATCH_META_INTS);
      const metaBytes = new Uint8Array(meta.buffer);
      const got: { data: Buffer; ttl: number; ifindex: number; src: string; dst: string }[] = [];
      const errors: NativeError[] = [];
      const batches: number[] = [];
      const N = 50;
      const done = new Promise<void>((resolve) => {
        rx.startReadingBatch!(
          (err, count) => {
            if (err) errors.push(err);
            else {
              batches.push(count!);
              for (let i = 0; i < count!; i++) {
                const m = i * BATCH_META_INTS;
                expect(meta[m + 4]! & (BATCH_HAS_DST | BATCH_HAS_SRC)).toBe(BATCH_HAS_DST | BATCH_HAS_SRC);
                expect(meta[m]! % SLOT).toBe(0);
                const at = m * 4;
                got.push({
                  data: Buffer.from(Buffer.from(area).subarray(meta[m]!, meta[m]! + meta[m + 1]!)),
                  ifindex: meta[m + 2]!,
                  ttl: meta[m + 3]!,
                  src: [...metaBytes.subarray(at + 32, at + 36)].join('.'),
                  dst: [...metaBytes.subarray(at + 48, at + 52)].join('.'),
                });
              }
            }
            if (got.length + errors.length === N + 1) resolve();
          },
          area,
          meta,
          SLOT,
        );
      });
      // all queued before the first read: batches of SLOTS
      for (let i = 0; i < N; i++) {
        tx.sendTo(Buffer.alloc(1 + ((i * 37) % SLOT), i), to, { ttl: 7 });
        if (i === 20) tx.sendTo(Buffer.alloc(SLOT + 1, 0xee), to);
      }
      await done;
      expect(errors.map((e) => e.code)).toEqual(['EMSGSIZE']);
      expect(got.length).toBe(N);
      expect(Math.max(...batches)).toBeLessThanOrEqual(SLOTS);
      expect(batches.length).toBeLessThan(N); // batched, not one call per datagram
      got.forEach((g, i) => {
        expect(g.data.length).toBe(1 + ((i * 37) % SLOT));
        expect(g.data.every((b) => b === (i & 0xff))).toBe(true);
        expect(g).toMatchObject({ ttl: 7, ifindex: 1, src: '127.0.0.1', dst: '127.0.0.1' });
      });
      rx.stopReading();
    } finally {
      rx.close();
      tx.close();
    }
  });

  it('refuses buffers that hold no datagram', () => {
    const s = new (addon().Socket)(c('AF_INET'), c('SOCK_DGRAM'), 0);
    try {
      expect(() => s.startReadingBatch!(() => {}, new ArrayBuffer(100), new Int32Array(16), 1024)).toThrow();
      expect(() => s.startReadingBatch!(() => {}, new ArrayBuffer(4096), new Int32Array(4), 1024)).toThrow();
    } finally {
      s.close();
    }
  });
});
