// Tables and the ipvsadm -Sn oracle for the real-IPVS cases and the bench.
import {
  buildTable,
  type IpvsDest,
  type IpvsService,
  type IpvsTable,
  normalizeService,
} from '../../../src/lvs/model.js';

export function svc(
  o: Partial<Omit<IpvsService, 'flags'>> & {
    persistent?: boolean;
    onePacket?: boolean;
    shFallback?: boolean;
    shPort?: boolean;
  },
): IpvsService {
  const family = o.family ?? 4;
  return normalizeService({
    family,
    protocol: o.protocol === undefined ? 'tcp' : o.protocol,
    ...(o.address !== undefined ? { address: o.address } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.fwmark !== undefined ? { fwmark: o.fwmark } : {}),
    scheduler: o.scheduler ?? 'rr',
    flags: {
      persistent: o.persistent ?? false,
      onePacket: o.onePacket ?? false,
      shFallback: o.shFallback ?? false,
      shPort: o.shPort ?? false,
      sched3: false,
    },
    timeoutS: o.timeoutS ?? 0,
    netmask: o.netmask ?? (family === 4 ? 32 : 128),
    ...(o.peName ? { peName: o.peName } : {}),
  });
}

/** services x destsPer real servers, all LVS-NAT, distinct keys. */
export function scaleTable(services: number, destsPer: number): IpvsTable {
  const entries: { service: IpvsService; dests: IpvsDest[] }[] = [];
  for (let i = 0; i < services; i++) {
    const service = svc({
      protocol: 'tcp',
      address: `192.0.2.${(i % 250) + 1}`,
      port: 1000 + Math.floor(i / 250),
      scheduler: 'wrr',
    });
    const dests: IpvsDest[] = [];
    for (let j = 0; j < destsPer; j++) {
      dests.push({
        family: 4,
        address: `198.51.100.${j + 1}`,
        port: 8000 + (i % 1000),
        forwarding: 'nat',
        weight: 1 + (j % 5),
        upperThreshold: 0,
        lowerThreshold: 0,
      });
    }
    entries.push({ service, dests });
  }
  return buildTable(entries);
}

const bracket = (family: 4 | 6, a: string) => (family === 6 ? `[${a}]` : a);

function serviceSpec(s: IpvsService): string {
  if (s.protocol === null) return `-f ${s.fwmark}${s.family === 6 ? ' -6' : ''}`;
  const flag = s.protocol === 'tcp' ? '-t' : s.protocol === 'udp' ? '-u' : '--sctp-service';
  return `${flag} ${bracket(s.family, s.address ?? '')}:${s.port}`;
}

function v4mask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((sh) => (m >>> sh) & 0xff).join('.');
}

/** What `ipvsadm -Sn` prints for a table (ipvsadm 1.31), as observed from the tool. */
export function expectedSaveLines(t: IpvsTable): string[] {
  const out: string[] = [];
  for (const { service: s, dests } of t.values()) {
    let l = `-A ${serviceSpec(s)} -s ${s.scheduler}`;
    if (s.flags.persistent) {
      l += ` -p ${s.timeoutS}`;
      if (s.family === 4 && s.netmask !== 32) l += ` -M ${v4mask(s.netmask)}`;
      if (s.family === 6 && s.netmask !== 128) l += ` -M ${s.netmask}`;
    }
    if (s.peName) l += ` --pe ${s.peName}`;
    if (s.flags.onePacket) l += ' -o';
    const b = [s.flags.shFallback ? 'sh-fallback' : '', s.flags.shPort ? 'sh-port' : ''].filter(Boolean);
    if (b.length) l += ` -b ${b.join(',')}`;
    out.push(l);
    for (const d of dests.values()) {
      const fwd = { nat: '-m', dr: '-g', tun: '-i', local: '-g' }[d.forwarding];
      let dl = `-a ${serviceSpec(s)} -r ${bracket(d.family, d.address)}:${d.port} ${fwd} -w ${d.weight}`;
      if (d.forwarding === 'tun' && d.tunType) {
        dl += ` --tun-type ${d.tunType}`;
        if (d.tunType === 'gue') dl += ` --tun-port ${d.tunPort}`;
        const f = d.tunFlags ?? 0;
        if (d.tunType !== 'ipip') dl += f & 2 ? ' --tun-remcsum' : f & 1 ? ' --tun-csum' : ' --tun-nocsum';
      }
      out.push(dl);
    }
  }
  return out;
}

/** Canonical form of -Sn lines: option order does not matter. */
export function parseSaveLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const tok = line.trim().split(/\s+/).filter(Boolean);
    if (tok.length === 0) continue;
    const groups: string[] = [];
    for (const t of tok) {
      if (t.startsWith('-') || groups.length === 0) groups.push(t);
      else groups[groups.length - 1] += ` ${t}`;
    }
    const [head = '', ...rest] = groups;
    out.push([head, ...rest.sort()].join(' '));
  }
  return out;
}
