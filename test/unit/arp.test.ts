import { describe, expect, it } from 'vitest';
import { virtualMac } from '../../src/net/addr.js';
import { buildGratuitousArp, decodeArpFrame, FrameBuildError, GARP_FRAME_LENGTH } from '../../src/net/arp.js';

describe('gratuitous ARP (RFC 826 packet as an announcement)', () => {
  it('matches a frame written out by hand', () => {
    // VIP 192.0.2.50 from the VRRP virtual MAC of VRID 51 (00-00-5E-00-01-33)
    const expected = Buffer.from(
      [
        'ffffffffffff', // Ethernet destination: broadcast
        '00005e000133', // Ethernet source
        '0806', // ethertype ARP
        '0001', // ar$hrd: Ethernet (1)
        '0800', // ar$pro: IPv4
        '06', // ar$hln
        '04', // ar$pln
        '0001', // ar$op: REQUEST
        '00005e000133', // ar$sha
        'c0000232', // ar$spa: 192.0.2.50
        '000000000000', // ar$tha: unknown
        'c0000232', // ar$tpa: 192.0.2.50, same as spa: gratuitous
      ].join(''),
      'hex',
    );
    const frame = buildGratuitousArp('192.0.2.50', virtualMac(4, 51));
    expect(frame.length).toBe(GARP_FRAME_LENGTH);
    expect(frame.toString('hex')).toBe(expected.toString('hex'));
    expect(buildGratuitousArp('192.0.2.50', '00:00:5E:00:01:33')).toEqual(expected);
  });

  it('decodes what it builds', () => {
    const frame = buildGratuitousArp('203.0.113.9', '02:aa:bb:cc:dd:ee');
    const r = decodeArpFrame(frame);
    expect(r).toEqual({
      ok: true,
      value: {
        ethDst: 'ff:ff:ff:ff:ff:ff',
        ethSrc: '02:aa:bb:cc:dd:ee',
        htype: 1,
        ptype: 0x0800,
        hlen: 6,
        plen: 4,
        op: 1,
        senderMac: '02:aa:bb:cc:dd:ee',
        senderIp: '203.0.113.9',
        targetMac: '00:00:00:00:00:00',
        targetIp: '203.0.113.9',
      },
    });
    // Ethernet padding to 60 bytes (as a NIC adds it) does not disturb decoding
    const padded = Buffer.concat([frame, Buffer.alloc(18)]);
    expect(decodeArpFrame(padded)).toEqual(r);
  });

  it('decode gives named reasons and never throws', () => {
    const frame = buildGratuitousArp('192.0.2.50', '02:00:00:00:00:01');
    const reason = (b: Buffer) => {
      const r = decodeArpFrame(b);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason(frame.subarray(0, 41))).toBe('too-short');
    const ipv4 = Buffer.from(frame);
    ipv4.writeUInt16BE(0x0800, 12);
    expect(reason(ipv4)).toBe('ethertype');
    const tokenRing = Buffer.from(frame);
    tokenRing.writeUInt16BE(6, 14);
    expect(reason(tokenRing)).toBe('not-ethernet-ipv4');
    for (let n = 0; n < 60; n++) expect(() => decodeArpFrame(Buffer.alloc(n, n))).not.toThrow();
  });

  it('refuses non-IPv4 VIPs and malformed MACs with a coded error', () => {
    for (const [vip, mac] of [
      ['2001:db8::1', '02:00:00:00:00:01'],
      ['192.0.2.300', '02:00:00:00:00:01'],
      ['192.0.2.1', '02:00:00:00:00'],
      ['192.0.2.1', Buffer.alloc(5)],
    ] as const) {
      let err: unknown;
      try {
        buildGratuitousArp(vip, mac);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FrameBuildError);
      expect((err as FrameBuildError).code).toBe('NET_FRAME_BUILD');
    }
  });
});
