import { describe, expect, it } from 'vitest';
import { parseIp, virtualMac } from '../../src/net/addr.js';
import { FrameBuildError } from '../../src/net/arp.js';
import { buildUnsolicitedNa, decodeNaFrame, NA_FRAME_LENGTH } from '../../src/net/ndisc.js';

// Independent ICMPv6 checksum: the textbook sum over one concatenated pseudo-header + message.
function referenceIcmpv6Checksum(src: string, dst: string, icmp: Buffer): number {
  const data = Buffer.concat([
    parseIp(src)!.bytes,
    parseIp(dst)!.bytes,
    Buffer.from([0, 0, icmp.length >> 8, icmp.length & 0xff, 0, 0, 0, 58]),
    icmp,
  ]);
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += data.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

describe('unsolicited neighbour advertisement (RFC 4861 §4.4, §7.2.6)', () => {
  it('matches a frame written out by hand', () => {
    const expected = [
      // Ethernet: dst 33:33:00:00:00:01 (RFC 2464 §7 for ff02::1), src, ethertype IPv6
      '333300000001',
      '00005e000233',
      '86dd',
      // IPv6: version 6, class 0, flow 0; payload length 32; next header 58; hop limit 255
      '60000000',
      '0020',
      '3a',
      'ff',
      'fe800000000000000000000000000001', // source fe80::1
      'ff020000000000000000000000000001', // destination ff02::1
      // ICMPv6 NA: type 136, code 0, checksum (computed separately, see below)
      '88',
      '00',
      'c9e1',
      '20000000', // R=0 S=0 O=1, reserved 0
      '20010db8000000000000000000000050', // target 2001:db8::50
      '0201', // option 2 (target link-layer address), length 1 (8 bytes)
      '00005e000233',
    ].join('');
    const frame = buildUnsolicitedNa({
      target: '2001:db8::50',
      mac: virtualMac(6, 51),
      srcAddress: 'fe80::1',
    });
    expect(frame.length).toBe(NA_FRAME_LENGTH);
    expect(frame.toString('hex')).toBe(expected);
    // 0xc9e1 was computed outside this code base (a separate script); check it here too
    const icmp = Buffer.from(frame.subarray(54));
    icmp.writeUInt16BE(0, 2);
    expect(referenceIcmpv6Checksum('fe80::1', 'ff02::1', icmp)).toBe(0xc9e1);
  });

  it('router flag and VIP as source (second hand-checked vector)', () => {
    const frame = buildUnsolicitedNa({ target: '2001:db8::50', mac: '00:00:5e:00:02:33', router: true });
    const icmp = frame.subarray(54);
    expect(frame.subarray(22, 38).toString('hex')).toBe('20010db8000000000000000000000050'); // src = VIP
    expect(icmp[4]).toBe(0xa0); // R=1 O=1
    expect(icmp.readUInt16BE(2)).toBe(0x1a5a);
    const zeroed = Buffer.from(icmp);
    zeroed.writeUInt16BE(0, 2);
    expect(referenceIcmpv6Checksum('2001:db8::50', 'ff02::1', zeroed)).toBe(0x1a5a);
  });

  it('decodes what it builds, checksum verified', () => {
    const frame = buildUnsolicitedNa({
      target: '2001:db8:0::7',
      mac: '02:aa:bb:cc:dd:ee',
      srcAddress: 'fe80::aa',
    });
    const r = decodeNaFrame(frame);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual({
      ethDst: '33:33:00:00:00:01',
      ethSrc: '02:aa:bb:cc:dd:ee',
      src: 'fe80::aa',
      dst: 'ff02::1',
      hopLimit: 255,
      type: 136,
      code: 0,
      checksum: frame.readUInt16BE(56),
      checksumOk: true,
      router: false,
      solicited: false,
      override: true,
      reserved: 0,
      target: '2001:db8::7',
      options: [{ type: 2, data: Buffer.from('02aabbccddee', 'hex') }],
      targetLinkLayerAddress: '02:aa:bb:cc:dd:ee',
      srcIsLinkLocal: true,
    });
    for (let i = 54; i < frame.length; i++) {
      const bad = Buffer.from(frame);
      bad[i]! ^= 0x04;
      const d = decodeNaFrame(bad);
      if (d.ok) expect(d.value.checksumOk).toBe(false);
    }
  });

  it('decode gives named reasons and never throws', () => {
    const frame = buildUnsolicitedNa({ target: '2001:db8::50', mac: '02:00:00:00:00:01' });
    const reason = (edit: (b: Buffer) => void, length = frame.length) => {
      const b = Buffer.from(frame);
      edit(b);
      const r = decodeNaFrame(b.subarray(0, length));
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason(() => {}, 53)).toBe('too-short');
    expect(reason(() => {}, 70)).toBe('too-short');
    expect(
      reason((b) => {
        b.writeUInt16BE(0x0800, 12);
      }),
    ).toBe('ethertype');
    expect(
      reason((b) => {
        b[14] = 0x40;
      }),
    ).toBe('ip-version');
    expect(
      reason((b) => {
        b[20] = 17;
      }),
    ).toBe('next-header');
    expect(
      reason((b) => {
        b[54] = 135;
      }),
    ).toBe('icmp-type');
    expect(
      reason((b) => {
        b[79] = 0;
      }),
    ).toBe('option');
    expect(
      reason((b) => {
        b[79] = 2;
      }),
    ).toBe('option');
    for (let n = 0; n < 100; n++) expect(() => decodeNaFrame(Buffer.alloc(n, n))).not.toThrow();
  });

  it('refuses IPv4 targets, bad sources and bad MACs with a coded error', () => {
    const bad = [
      { target: '192.0.2.50', mac: '02:00:00:00:00:01' },
      { target: '2001:db8::50', mac: '02:00:00:00:00:01', srcAddress: '192.0.2.1' },
      { target: '2001:db8::50', mac: 'nope' },
    ];
    for (const o of bad) {
      expect(() => buildUnsolicitedNa(o)).toThrow(FrameBuildError);
    }
  });
});
