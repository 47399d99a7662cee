// Pure helpers of the raw transport: IPv4 header split of raw-socket reads.
import { describe, expect, it } from 'vitest';
import { parseIpv4Datagram } from '../../src/effects/raw-transport.js';

function ipv4(opts: { ihl?: number; ttl?: number; proto?: number; payload: Buffer; total?: number }): Buffer {
  const ihl = opts.ihl ?? 5;
  const h = Buffer.alloc(ihl * 4);
  h[0] = 0x40 | ihl;
  h[1] = 0xc0;
  h.writeUInt16BE(opts.total ?? ihl * 4 + opts.payload.length, 2);
  h[8] = opts.ttl ?? 255;
  h[9] = opts.proto ?? 112;
  Buffer.from([192, 0, 2, 11]).copy(h, 12);
  Buffer.from([224, 0, 0, 18]).copy(h, 16);
  return Buffer.concat([h, opts.payload]);
}

describe('parseIpv4Datagram', () => {
  const payload = Buffer.from('3101640100010000c0000201', 'hex');

  it('splits header facts from the payload', () => {
    expect(parseIpv4Datagram(ipv4({ payload, ttl: 64 }))).toEqual({
      payload,
      ttl: 64,
      protocol: 112,
      src: '192.0.2.11',
      dst: '224.0.0.18',
    });
  });

  it('honours IP options (IHL > 5) and trims to the total length', () => {
    const withOpts = ipv4({ ihl: 6, payload });
    expect(parseIpv4Datagram(withOpts)?.payload).toEqual(payload);
    const padded = Buffer.concat([ipv4({ payload }), Buffer.alloc(6)]);
    expect(parseIpv4Datagram(padded)?.payload).toEqual(payload);
  });

  it('rejects what is not an IPv4 datagram', () => {
    expect(parseIpv4Datagram(Buffer.alloc(10))).toBeUndefined();
    const v6ish = ipv4({ payload });
    v6ish[0] = 0x65;
    expect(parseIpv4Datagram(v6ish)).toBeUndefined();
    const badIhl = ipv4({ payload });
    badIhl[0] = 0x43;
    expect(parseIpv4Datagram(badIhl)).toBeUndefined();
  });
});
