// virtual_server_groups: named sets of virtual addresses (single, ranges, prefixes) with a
// port, and fwmarks, that a virtual server serves with one pool of real servers
// (keepalived virtual_server_group). Here the entries are checked and expanded into the
// plain (address, port) / (fwmark, family) list each grouped virtual server becomes.
//
// Address forms, as keepalived reads them:
//   192.0.2.1            one address
//   192.0.2.1-10         the last byte runs from 1 to 10 (IPv6: the last 16-bit group, hex)
//   192.0.2.250-192.0.3.10  first to last, inclusive
//   192.0.2.8/29         every address of the prefix (the host bits must be 0)
import { formatIp, type IpFamily, parseIp } from '../net/addr.js';
import type { BuildContext } from './build-context.js';
import type { ConfigPath } from './errors.js';
import { pathText } from './errors.js';
import type { RawVirtualServerGroup } from './raw.js';

/** More addresses than this in one group is a typo (a /8), not a configuration. */
export const MAX_GROUP_SERVICES = 4096;

export type GroupEntry =
  | { readonly address: string; readonly family: IpFamily; readonly port: number }
  | { readonly fwmark: number; readonly family?: IpFamily };

function toBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fromBig(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The first and last address of an entry's address text, or why it is not one. */
export function addressRange(
  text: string,
): { family: IpFamily; first: bigint; last: bigint } | { error: string } {
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const ip = parseIp(text.slice(0, slash));
    const lenText = text.slice(slash + 1);
    if (!ip || !/^\d{1,3}$/.test(lenText)) return { error: `'${text}' is not an address/prefix` };
    const bits = ip.family === 4 ? 32 : 128;
    const len = Number(lenText);
    if (len < 1 || len > bits) return { error: `'${text}': the prefix length must be 1-${bits}` };
    const first = toBig(ip.bytes);
    const host = (1n << BigInt(bits - len)) - 1n;
    if ((first & host) !== 0n) return { error: `'${text}': the address has bits set past the prefix` };
    return { family: ip.family, first, last: first | host };
  }
  const dash = text.indexOf('-');
  if (dash < 0) {
    const ip = parseIp(text);
    if (!ip) return { error: `'${text}' is not an IP address` };
    const v = toBig(ip.bytes);
    return { family: ip.family, first: v, last: v };
  }
  const ip = parseIp(text.slice(0, dash));
  const endText = text.slice(dash + 1);
  if (!ip) return { error: `'${text}' does not start with an IP address` };
  const first = toBig(ip.bytes);
  let last: bigint;
  if ((ip.family === 4 && endText.includes('.')) || (ip.family === 6 && endText.includes(':'))) {
    const end = parseIp(endText);
    if (!end || end.family !== ip.family)
      return { error: `'${text}': '${endText}' is not a matching address` };
    last = toBig(end.bytes);
    if (last < first) return { error: `'${text}': the range ends before it starts` };
  } else {
    const ok = ip.family === 4 ? /^\d{1,3}$/.test(endText) : /^[0-9a-fA-F]{1,4}$/.test(endText);
    if (!ok) return { error: `'${text}': '${endText}' is not a range end` };
    const end = BigInt(ip.family === 4 ? Number(endText) : Number.parseInt(endText, 16));
    const width = ip.family === 4 ? 8n : 16n;
    const low = first & ((1n << width) - 1n);
    if (ip.family === 4 && end > 255n) return { error: `'${text}': the range end must be 0-255` };
    // keepalived: the end must be greater than the start
    if (end <= low) return { error: `'${text}': the range end must be greater than the start` };
    last = first - low + end;
  }
  return { family: ip.family, first, last };
}

/** The groups by name, expanded; errors (file:line:col through ctx) for bad entries. */
export function buildVirtualServerGroups(
  ctx: BuildContext,
  raw: readonly (RawVirtualServerGroup | null)[],
): Map<string, GroupEntry[]> {
  const out = new Map<string, GroupEntry[]>();
  raw.forEach((g, i) => {
    if (!g) return;
    const p: ConfigPath = ['virtual_server_groups', i];
    if (out.has(g.name)) {
      ctx.error([...p, 'name'], 'CONFIG_DUPLICATE', `virtual server group '${g.name}' is already defined`);
      return;
    }
    const entries: GroupEntry[] = [];
    const seen = new Set<string>();
    let ok = true;
    g.entries.forEach((e, j) => {
      const ep: ConfigPath = [...p, 'entries', j];
      if ((e.address === undefined) === (e.fwmark === undefined)) {
        ctx.error(
          ep,
          'CONFIG_BAD_VALUE',
          `${pathText(ep)} needs either address or fwmark, not both or neither`,
        );
        ok = false;
        return;
      }
      if (e.fwmark !== undefined) {
        if (e.port !== undefined) {
          ctx.error([...ep, 'port'], 'CONFIG_NOT_APPLICABLE', 'a fwmark entry has no port', true);
          ok = false;
        }
        const family = e.family === 'inet6' ? 6 : e.family === 'inet' ? 4 : undefined;
        const k = `fwmark:${e.fwmark}:${family ?? ''}`;
        if (seen.has(k)) {
          ctx.error(
            [...ep, 'fwmark'],
            'CONFIG_DUPLICATE',
            `fwmark ${e.fwmark} is already in group '${g.name}'`,
          );
          ok = false;
        }
        seen.add(k);
        entries.push(family === undefined ? { fwmark: e.fwmark } : { fwmark: e.fwmark, family });
        return;
      }
      if (e.family !== undefined) {
        ctx.error([...ep, 'family'], 'CONFIG_NOT_APPLICABLE', 'the address sets the family here', true);
        ok = false;
      }
      const r = addressRange(e.address!);
      if ('error' in r) {
        ctx.error([...ep, 'address'], 'CONFIG_BAD_ADDRESS', r.error);
        ok = false;
        return;
      }
      if (r.last - r.first + 1n + BigInt(entries.length) > BigInt(MAX_GROUP_SERVICES)) {
        ctx.error(
          [...ep, 'address'],
          'CONFIG_OUT_OF_RANGE',
          `group '${g.name}' would hold more than ${MAX_GROUP_SERVICES} services`,
        );
        ok = false;
        return;
      }
      const port = e.port ?? 0;
      for (let v = r.first; v <= r.last; v++) {
        const address = formatIp(fromBig(v, r.family === 4 ? 4 : 16));
        const k = `${address} ${port}`;
        if (seen.has(k)) {
          ctx.error(
            [...ep, 'address'],
            'CONFIG_DUPLICATE',
            `${address} port ${port} is already in group '${g.name}'`,
          );
          ok = false;
          return;
        }
        seen.add(k);
        entries.push({ address, family: r.family, port });
      }
    });
    if (ok) out.set(g.name, entries);
    else out.set(g.name, []);
  });
  return out;
}
