// The one IP header parser of the receive path (src/net/ip-header.ts): what raw IPv4
// sockets and macvlan frames hand over, split into header facts and payload, and every
// malformed header under a named reason.
import { describe, expect, it } from 'vitest';
import { formatIp } from '../../src/net/addr.js';
import { internetChecksum } from '../../src/net/checksum.js';
import { IP_HEADER_DROP_REASONS, type IpHeaderDropReason, parseIpPacket } from '../../src/net/ip-header.js';
import { buildIpFrame } from '../../src/net/ipframe.js';

const payload = Buffer.from('3101640100010000c0000201', 'hex');

/** An IPv4 packet (header as a raw socket reads it), edited, checksum made right unless told. */
function ipv4(edit: (h: Buffer) => void = () => {}, o: { options?: Buffer; fixSum?: boolean } = {}): Buffer {
  const options = o.options ?? Buffer.alloc(0);
  const h = Buffer.concat([Buffer.from('45c00000000c0000ff700000c000020be0000012', 'hex'), options]);
  h[0] = 0x40 | (h.length / 4);
  h.writeUInt16BE(h.length + payload.length, 2);
  edit(h);
  if (o.fixSum !== false) {
    h.writeUInt16BE(0, 10);
    h.writeUInt16BE(internetChecksum(h), 10);
  }
  return Buffer.concat([h, payload]);
}

const ipv6 = (ttl = 255) =>
  buildIpFrame({
    srcMac: '00:00:5e:00:02:3d',
    src: 'fe80::1',
    dst: 'ff02::12',
    protocol: 112,
    ttl,
    payload,
  }).subarray(14);

describe('parseIpPacket', () => {
  it('IPv4 (RFC 791 §3.1): header facts as bytes, the payload up to the total length', () => {
    const r = parseIpPacket(Buffer.concat([ipv4((h) => (h[8] = 64)), Buffer.alloc(6)]), 4);
    if (!r.ok) throw new Error(r.reason);
    expect(formatIp(r.value.src)).toBe('192.0.2.11');
    expect(formatIp(r.value.dst)).toBe('224.0.0.18');
    expect(r.value).toMatchObject({ family: 4, ttl: 64, protocol: 112 });
    expect(r.value.payload).toEqual(payload); // link-layer padding removed
  });

  it('IPv4: skips options (IHL > 5)', () => {
    const r = parseIpPacket(
      ipv4(() => {}, { options: Buffer.from('94040000', 'hex') }),
      4,
    );
    expect(r.ok && r.value.payload).toEqual(payload);
  });

  it('IPv6 (RFC 8200 §3): header facts, hop limit, payload length', () => {
    const r = parseIpPacket(Buffer.concat([ipv6(254), Buffer.alloc(4)]), 6);
    if (!r.ok) throw new Error(r.reason);
    expect(formatIp(r.value.src)).toBe('fe80::1');
    expect(formatIp(r.value.dst)).toBe('ff02::12');
    expect(r.value).toMatchObject({ family: 6, ttl: 254, protocol: 112 });
    expect(r.value.payload).toEqual(payload);
  });

  it('every malformed header has a named reason, and each reason is produced', () => {
    const produced = new Set<IpHeaderDropReason>();
    const expectReason = (buf: Buffer, family: 4 | 6, reason: IpHeaderDropReason) => {
      const r = parseIpPacket(buf, family);
      expect(r.ok ? 'parsed' : r.reason).toBe(reason);
      if (!r.ok) produced.add(r.reason);
    };
    expectReason(ipv4().subarray(0, 19), 4, 'ip-too-short');
    expectReason(
      ipv4((h) => (h[0] = 0x4f)),
      4,
      'ip-too-short',
    ); // IHL 60 bytes, 32 read
    expectReason(
      ipv4((h) => (h[0] = 0x65)),
      4,
      'ip-version',
    );
    expectReason(
      ipv4((h) => (h[0] = 0x44)),
      4,
      'ip-header-length',
    );
    expectReason(
      ipv4((h) => h.writeUInt16BE(10, 2)),
      4,
      'ip-total-length',
    );
    expectReason(
      ipv4((h) => h.writeUInt16BE(200, 2)),
      4,
      'ip-total-length',
    );
    expectReason(
      ipv4((h) => (h[8] = 1), { fixSum: false }),
      4,
      'ip-checksum',
    );
    expectReason(
      ipv4((h) => h.writeUInt16BE(0x2000, 6)),
      4,
      'ip-fragment',
    ); // more fragments
    expectReason(
      ipv4((h) => h.writeUInt16BE(0x0010, 6)),
      4,
      'ip-fragment',
    ); // an offset
    expectReason(ipv6().subarray(0, 39), 6, 'ip-too-short');
    expectReason(ipv4(), 6, 'ip-too-short');
    const v4in6 = Buffer.from(ipv6());
    v4in6[0] = 0x45;
    expectReason(v4in6, 6, 'ip-version');
    expectReason(ipv6().subarray(0, 45), 6, 'ip-total-length');
    expect([...produced].sort()).toEqual([...IP_HEADER_DROP_REASONS].sort());
  });

  it('never throws on random bytes', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.from(Array.from({ length: rnd() % 80 }, () => rnd() & 0xff));
      if (i % 2) buf[0] = ((buf[0] ?? 0) & 0x0f) | 0x40;
      for (const family of [4, 6] as const) {
        const r = parseIpPacket(buf, family);
        if (!r.ok) expect(IP_HEADER_DROP_REASONS).toContain(r.reason);
      }
    }
  });
});
