// use_vmac (RFC 5798 §7.3): adverts leave from the virtual MAC, and the macvlan that
// carries an instance's VIPs has a fixed name.
import type { AdvertTransport, Family, FrameSender } from '../effects/types.js';
import { buildIpFrame } from '../net/ipframe.js';
import { VRRP_PROTOCOL } from './codec.js';

/**
 * Sends adverts as Ethernet frames from the virtual MAC through AF_PACKET on the macvlan
 * (src/net/ipframe.ts says why not a socket on the macvlan). Receiving stays with `base`.
 */
export function vmacAdvertSender(
  base: AdvertTransport,
  frames: FrameSender,
  vmac: string,
  mac: Buffer,
): AdvertTransport {
  let id = 0;
  return {
    family: base.family,
    ifname: vmac,
    send: (payload, dst, src) => {
      if (!src) return Promise.reject(new Error('an advert from the virtual MAC needs its source address'));
      id = (id + 1) & 0xffff;
      const frame = buildIpFrame({
        srcMac: mac,
        src,
        dst,
        protocol: VRRP_PROTOCOL,
        ttl: 255,
        tos: 0xc0,
        id,
        payload,
      });
      return frames.send(vmac, frame);
    },
    onPacket: () => {},
    onError: (cb) => base.onError(cb),
    close: () => {},
  };
}

/** Name of the macvlan for an instance with use_vmac (15 characters at most). */
export function vmacName(family: Family, vrid: number): string {
  return `vrrp${family === 6 ? '6' : ''}.${vrid}`;
}
