// Pure: from the observer's capture to per-trial failover times. All timestamps are the
// capture's (one clock), in ms.
//   marker  = the UDP broadcast the bench sent right before the fault;
//   garp    = the first gratuitous ARP (RFC 5227 §3 ARP request, sender IP = target IP = VIP)
//             from the backup's MAC after the marker;
//   advert  = the last VRRP advert (IP protocol 112) from the old master before that GARP.
import { type PcapFile, splitEthernet } from '../../test/helpers/pcap.js';
import { MARKER_PORT, MARKER_TEXT } from './observer.js';

export interface TrialTimes {
  id: number;
  markMs: number;
  /** null when the backup sent no GARP after this marker */
  garpMs: number | null;
  lastAdvertMs: number | null;
}

const ETH_ARP = 0x0806;
const ETH_IPV4 = 0x0800;

function ipv4(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

type Ev =
  | { ms: number; kind: 'mark'; id: number }
  | { ms: number; kind: 'garp' }
  | { ms: number; kind: 'advert' };

/** Classifies the frames that matter; everything else is skipped. */
export function captureEvents(
  file: PcapFile,
  o: { vip: string; backupMac: string; masterMac: string },
): Ev[] {
  const evs: Ev[] = [];
  for (const f of file.frames) {
    const eth = splitEthernet(f.data);
    if (!eth) continue;
    const ms = f.tsSec * 1000 + f.tsNsec / 1e6;
    const p = eth.payload;
    if (eth.etherType === ETH_ARP && p.length >= 28) {
      const op = p.readUInt16BE(6);
      const spa = ipv4(p, 14);
      const tpa = ipv4(p, 24);
      if (op === 1 && spa === o.vip && tpa === o.vip && eth.src === o.backupMac)
        evs.push({ ms, kind: 'garp' });
    } else if (eth.etherType === ETH_IPV4 && p.length >= 20) {
      const ihl = (p[0] ?? 0x45) & 0x0f;
      const proto = p[9];
      if (proto === 112 && eth.src === o.masterMac) evs.push({ ms, kind: 'advert' });
      if (proto === 17 && p.length >= ihl * 4 + 8) {
        const udp = p.subarray(ihl * 4);
        const text = udp.subarray(8).toString('latin1');
        if (udp.readUInt16BE(2) === MARKER_PORT && text.startsWith(MARKER_TEXT))
          evs.push({ ms, kind: 'mark', id: Number(text.slice(MARKER_TEXT.length)) });
      }
    }
  }
  return evs.sort((a, b) => a.ms - b.ms);
}

export function trialTimes(evs: readonly Ev[]): TrialTimes[] {
  const out: TrialTimes[] = [];
  evs.forEach((e, i) => {
    if (e.kind !== 'mark') return;
    let garpMs: number | null = null;
    let lastAdvertMs: number | null = null;
    let lastAdvertSeen: number | null = null;
    // the last advert before the marker counts too (the fault may follow it closely)
    for (let j = i - 1; j >= 0; j--) {
      const p = evs[j];
      if (p?.kind === 'advert') {
        lastAdvertSeen = p.ms;
        break;
      }
      if (p?.kind === 'mark') break;
    }
    for (let j = i + 1; j < evs.length; j++) {
      const n = evs[j];
      if (!n || n.kind === 'mark') break;
      if (n.kind === 'advert') lastAdvertSeen = n.ms;
      if (n.kind === 'garp') {
        garpMs = n.ms;
        lastAdvertMs = lastAdvertSeen;
        break;
      }
    }
    out.push({ id: e.id, markMs: e.ms, garpMs, lastAdvertMs });
  });
  return out;
}

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { n: s.length, min: s[0] as number, median, max: s[s.length - 1] as number };
}
