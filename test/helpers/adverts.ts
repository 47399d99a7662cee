// Advert builders and contexts shared by the codec tests.
import type { ReceivedPacket } from '../../src/effects/types.js';
import { formatIp, ipBytes, ipFamily } from '../../src/net/addr.js';
import { buildIpFrame } from '../../src/net/ipframe.js';
import type { AdvertContext, EncodableAdvert, VrrpAdvert } from '../../src/vrrp/codec.js';

export const V4: AdvertContext = { family: 4, srcAddress: '192.0.2.1', dstAddress: '224.0.0.18' };
export const V6: AdvertContext = { family: 6, srcAddress: 'fe80::1', dstAddress: 'ff02::12' };

export const v2 = (over: Partial<Extract<EncodableAdvert, { version: 2 }>> = {}): EncodableAdvert => ({
  version: 2,
  type: 1,
  vrid: 51,
  priority: 150,
  advertIntervalSec: 1,
  authType: 0,
  authData: Buffer.alloc(8),
  addresses: ['192.0.2.50'],
  ...over,
});

export const v3 = (over: Partial<Extract<EncodableAdvert, { version: 3 }>> = {}): EncodableAdvert => ({
  version: 3,
  type: 1,
  vrid: 51,
  priority: 100,
  maxAdvertIntervalCs: 100,
  addresses: ['192.0.2.50'],
  ...over,
});

/** A VRRP message as a raw socket hands it over: a whole IP packet, header included. */
export function receivedPacket(o: {
  payload: Uint8Array;
  src: string;
  dst: string;
  ttl?: number;
  ifindex?: number;
}): ReceivedPacket {
  const frame = buildIpFrame({
    srcMac: '02:00:00:00:00:09',
    dstMac: '02:00:00:00:00:01',
    src: o.src,
    dst: o.dst,
    protocol: 112,
    ttl: o.ttl ?? 255,
    tos: 0xc0,
    payload: o.payload,
  });
  return { family: ipFamily(o.src) === 6 ? 6 : 4, ifindex: o.ifindex ?? 2, ip: frame.subarray(14) };
}

/** The advert with its addresses as text (decoded adverts carry bytes), for assertions. */
export function withTextAddresses<T extends { addresses: readonly (string | Uint8Array)[] }>(
  a: T,
): Omit<T, 'addresses'> & { addresses: string[] } {
  return { ...a, addresses: a.addresses.map((x) => (typeof x === 'string' ? x : formatIp(x))) };
}

/** The advert as the codec decodes it: addresses as bytes. */
export function withByteAddresses(a: EncodableAdvert): VrrpAdvert {
  return { ...a, addresses: a.addresses.map((x) => (typeof x === 'string' ? ipBytes(x) : x)) } as VrrpAdvert;
}
