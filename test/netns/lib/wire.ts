// Reading what vrrpd put on the wire, from tcpdump captures (test/helpers/pcap.ts):
// VRRP adverts, gratuitous ARPs and unsolicited neighbour advertisements, each with its
// capture time, so tests can check sources, priorities and timing.
import { decodeArpFrame } from '../../../src/net/arp.js';
import { decodeNaFrame } from '../../../src/net/ndisc.js';
import { decodeAdvert, type VrrpAdvert } from '../../../src/vrrp/codec.js';
import { withTextAddresses } from '../../helpers/adverts.js';
import { ipPackets, type PcapFile, splitEthernet } from '../../helpers/pcap.js';

export interface WireAdvert {
  /** capture time, seconds */
  t: number;
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  ttl: number;
  family: 4 | 6;
  /** the decoded advert, its addresses as text for assertions */
  advert: ReturnType<typeof withTextAddresses<VrrpAdvert>>;
}

/** Every VRRP advert in the capture that decodes (bad ones are left out). */
export function adverts(file: PcapFile): WireAdvert[] {
  const out: WireAdvert[] = [];
  for (const p of ipPackets(file, 112)) {
    const d = decodeAdvert(p.payload, { family: p.family, srcAddress: p.src, dstAddress: p.dst });
    const eth = splitEthernet(p.frame.data);
    if (!d.ok || !eth) continue;
    out.push({
      t: p.frame.timeSec,
      srcMac: eth.src,
      dstMac: eth.dst,
      src: p.src,
      dst: p.dst,
      ttl: p.ttl,
      family: p.family,
      advert: withTextAddresses(d.value),
    });
  }
  return out;
}

export interface WireAnnounce {
  t: number;
  /** Ethernet source */
  srcMac: string;
  /** the MAC the announcement binds the address to (ARP sender / NA target link-layer) */
  mac: string;
  address: string;
  kind: 'garp' | 'na';
}

/** Gratuitous ARPs (sender IP = target IP) and unsolicited NAs in the capture. */
export function announcements(file: PcapFile): WireAnnounce[] {
  const out: WireAnnounce[] = [];
  for (const f of file.frames) {
    const arp = decodeArpFrame(f.data);
    if (arp.ok) {
      const a = arp.value;
      if (a.senderIp === a.targetIp)
        out.push({ t: f.timeSec, srcMac: a.ethSrc, mac: a.senderMac, address: a.senderIp, kind: 'garp' });
      continue;
    }
    const na = decodeNaFrame(f.data);
    if (na.ok && !na.value.solicited)
      out.push({
        t: f.timeSec,
        srcMac: na.value.ethSrc,
        mac: na.value.targetLinkLayerAddress ?? na.value.ethSrc,
        address: na.value.target,
        kind: 'na',
      });
  }
  return out;
}

/** Short text of adverts for assertion messages. */
export function describeAdverts(list: WireAdvert[], max = 30): string {
  return list
    .slice(-max)
    .map((a) => `${a.t.toFixed(3)} ${a.src} vrid ${a.advert.vrid} prio ${a.advert.priority} ttl ${a.ttl}`)
    .join('\n');
}
