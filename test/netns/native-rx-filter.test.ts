// The addon's early drops on a real raw IPv6 socket (IPv4 runs through them in every VRRP
// test, and vrrp-flood.test.ts counts each frame of a flood by reason): source,
// destination and hop limit come from ancillary data here, as the daemon's sockets get
// them. Junk is counted by reason and VRID in the counts array and never handed to the
// batch callback; a good advert is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeSocket } from '../../src/native/binding.js';
import { addon, BATCH_META_INTS, c } from '../../src/native/index.js';
import { encodeAdvert } from '../../src/vrrp/codec.js';
import { RX_ENTRY_BYTES, RX_TABLE_BYTES } from '../../src/vrrp/rx-filter.js';
import { missing } from '../helpers/env.js';
import { createTopology, type Topology } from '../helpers/netns.js';

const skip = missing({ root: true, commands: ['ip'] });
const COLUMNS = 257;

describe.skipIf(skip)('native early drops on a raw IPv6 socket', () => {
  let topo: Topology;
  const sockets: NativeSocket[] = [];

  beforeAll(async () => {
    topo = await createTopology({ hosts: ['a', 'b'] });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await topo?.cleanup();
  });

  it('counts junk by reason and VRID below JS, hands the good advert over', async () => {
    const a = addon();
    const IP6 = c('IPPROTO_IPV6');
    const [ha, hb] = [topo.host('a'), topo.host('b')];
    const open = (ns: string) => {
      const s = new a.Socket(c('AF_INET6'), c('SOCK_RAW'), 112, `/run/netns/${ns}`);
      sockets.push(s);
      s.setStringOption(c('SOL_SOCKET'), c('SO_BINDTODEVICE'), 'eth0');
      return s;
    };
    const rx = open(ha.ns);
    rx.setIntOption(IP6, c('IPV6_RECVPKTINFO'), 1);
    rx.setIntOption(IP6, c('IPV6_RECVHOPLIMIT'), 1);
    const tx = open(hb.ns);
    const slot = 2048;
    const area = new ArrayBuffer(8 * slot);
    const meta = new Int32Array(8 * BATCH_META_INTS);
    let delivered: Buffer[] = [];
    rx.startReadingBatch!(
      (err, count) => {
        if (err) throw err;
        for (let i = 0; i < (count ?? 0); i++) {
          const m = i * BATCH_META_INTS;
          delivered.push(Buffer.from(area, meta[m]!, meta[m + 1]!));
        }
      },
      area,
      meta,
      slot,
    );
    // VRID 51: a v3 instance, every 100 cs; the rest unknown
    const table = new Uint8Array(RX_TABLE_BYTES);
    const e = 51 * RX_ENTRY_BYTES;
    table[e] = 1;
    table[e + 1] = 3;
    table[e + 3] = 100;
    const counts = new Float64Array(a.rxReasons!.length * COLUMNS + 1);
    rx.setRxFilter!(table, counts);

    const ctx = { family: 6 as const, srcAddress: hb.ipv6, dstAddress: ha.ipv6 };
    const v3 = (vrid: number, interval = 100) =>
      encodeAdvert(
        {
          version: 3,
          type: 1,
          vrid,
          priority: 200,
          maxAdvertIntervalCs: interval,
          addresses: ['2001:db8::50'],
        },
        ctx,
      );
    const bad = Buffer.from(v3(51));
    bad[7]! ^= 0x55;
    const send = (payload: Buffer, ttl = 255) => tx.sendTo(payload, { address: ha.ipv6, port: 0 }, { ttl });
    const good = v3(51);
    send(bad); // checksum, VRID 51
    send(v3(51), 64); // ttl, VRID 51
    send(v3(51, 0)); // advert-interval, VRID 51
    send(v3(99)); // vrid, VRID 99
    send(good.subarray(0, 6)); // length, VRID 51 (the second byte is there)
    send(good);
    const want: Record<string, number> = {
      'checksum/51': 1,
      'ttl/51': 1,
      'advert-interval/51': 1,
      'vrid/99': 1,
      'length/51': 1,
    };
    const got = () => {
      const out: Record<string, number> = {};
      for (let i = 0; i < counts.length - 1; i++)
        if (counts[i]) out[`${a.rxReasons![Math.floor(i / COLUMNS)]}/${(i % COLUMNS) - 1}`] = counts[i]!;
      return out;
    };
    const t0 = Date.now();
    while ((counts[counts.length - 1]! < 5 || delivered.length < 1) && Date.now() - t0 < 5000)
      await new Promise((r) => setTimeout(r, 20));
    expect(got()).toEqual(want);
    expect(counts[counts.length - 1]).toBe(5);
    expect(delivered).toEqual([good]);
    // off: everything reaches the callback again
    rx.setRxFilter!(null);
    delivered = [];
    send(bad);
    const t1 = Date.now();
    while (delivered.length < 1 && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(delivered).toEqual([bad]);
    expect(counts[counts.length - 1]).toBe(5);
  });
});
