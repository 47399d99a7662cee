import { describe, expect, it } from 'vitest';
import { checksumValid } from '../../src/net/checksum.js';
import { buildIpFrame } from '../../src/net/ipframe.js';
import { decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';

describe('buildIpFrame (adverts from the virtual MAC)', () => {
  it('IPv4: multicast MAC, TTL 255, TOS CS6, valid header checksum, VRRP payload intact', () => {
    const payload = encodeAdvert(
      { version: 3, type: 1, vrid: 51, priority: 150, maxAdvertIntervalCs: 10, addresses: ['192.0.2.50'] },
      { family: 4, srcAddress: '192.0.2.1', dstAddress: '224.0.0.18' },
    );
    const f = buildIpFrame({
      srcMac: '00:00:5e:00:01:33',
      src: '192.0.2.1',
      dst: '224.0.0.18',
      protocol: 112,
      ttl: 255,
      tos: 0xc0,
      payload,
    });
    expect(f.subarray(0, 6).toString('hex')).toBe('01005e000012');
    expect(f.subarray(6, 12).toString('hex')).toBe('00005e000133');
    expect(f.readUInt16BE(12)).toBe(0x0800);
    const ip = f.subarray(14, 34);
    expect(ip[0]).toBe(0x45);
    expect(ip[1]).toBe(0xc0);
    expect(ip.readUInt16BE(2)).toBe(20 + payload.length);
    expect(ip[8]).toBe(255);
    expect(ip[9]).toBe(112);
    expect(checksumValid(ip)).toBe(true);
    const r = decodeAdvert(f.subarray(34), {
      family: 4,
      srcAddress: '192.0.2.1',
      dstAddress: '224.0.0.18',
    });
    expect(r.ok).toBe(true);
  });

  it('IPv6: 33:33:00:00:00:12, hop limit 255, next header 112, checksum over the pseudo-header holds', () => {
    const ctx = { family: 6 as const, srcAddress: 'fe80::1', dstAddress: 'ff02::12' };
    const payload = encodeAdvert(
      { version: 3, type: 1, vrid: 61, priority: 100, maxAdvertIntervalCs: 10, addresses: ['2001:db8::50'] },
      ctx,
    );
    const f = buildIpFrame({
      srcMac: '00:00:5e:00:02:3d',
      src: 'fe80::1',
      dst: 'ff02::12',
      protocol: 112,
      ttl: 255,
      tos: 0xc0,
      payload,
    });
    expect(f.subarray(0, 6).toString('hex')).toBe('333300000012');
    expect(f.readUInt16BE(12)).toBe(0x86dd);
    const ip = f.subarray(14, 54);
    expect(ip[0]! >> 4).toBe(6);
    expect((ip.readUInt32BE(0) >> 20) & 0xff).toBe(0xc0);
    expect(ip.readUInt16BE(4)).toBe(payload.length);
    expect(ip[6]).toBe(112);
    expect(ip[7]).toBe(255);
    expect(decodeAdvert(f.subarray(54), ctx).ok).toBe(true);
  });

  it('refuses a unicast destination without a MAC and mixed families', () => {
    const base = { srcMac: '00:00:5e:00:01:01', protocol: 112, ttl: 255, payload: Buffer.alloc(8) };
    expect(() => buildIpFrame({ ...base, src: '192.0.2.1', dst: '192.0.2.2' })).toThrow(/dstMac/);
    expect(() => buildIpFrame({ ...base, src: '192.0.2.1', dst: 'ff02::12' })).toThrow(/one family/);
    expect(
      buildIpFrame({ ...base, src: '192.0.2.1', dst: '192.0.2.2', dstMac: '02:00:00:00:00:02' }).length,
    ).toBe(14 + 20 + 8);
  });
});

describe('vrrpFromFrame (adverts heard on a macvlan)', () => {
  it('hands on the IP packet of VRRP frames built by buildIpFrame, IPv4 and IPv6', async () => {
    const { vrrpFromFrame } = await import('../../src/effects/vmac-receiver.js');
    const payload = Buffer.from('0123456789abcdef', 'hex');
    const v4 = buildIpFrame({
      srcMac: '00:00:5e:00:01:33',
      src: '192.0.2.1',
      dst: '224.0.0.18',
      protocol: 112,
      ttl: 255,
      payload,
    });
    expect(vrrpFromFrame(v4, 4, 7)).toEqual({ family: 4, ifindex: 7, ip: v4.subarray(14) });
    const v6 = buildIpFrame({
      srcMac: '00:00:5e:00:02:3d',
      src: 'fe80::1',
      dst: 'ff02::12',
      protocol: 112,
      ttl: 254,
      payload,
    });
    expect(vrrpFromFrame(v6, 6, 9)).toEqual({ family: 6, ifindex: 9, ip: v6.subarray(14) });
    // other protocols, the other family and truncated frames are not adverts
    expect(
      vrrpFromFrame(
        buildIpFrame({
          srcMac: '02:00:00:00:00:01',
          src: '192.0.2.1',
          dst: '224.0.0.18',
          protocol: 17,
          ttl: 1,
          payload,
        }),
        4,
        1,
      ),
    ).toBeNull();
    expect(vrrpFromFrame(v4, 6, 1)).toBeNull();
    expect(vrrpFromFrame(Buffer.alloc(5), 4, 1)).toBeNull();
    // a truncated VRRP packet is handed on: the engine's header parser counts it
    expect(vrrpFromFrame(v6.subarray(0, 50), 6, 1)).toEqual({
      family: 6,
      ifindex: 1,
      ip: v6.subarray(14, 50),
    });
  });
});
