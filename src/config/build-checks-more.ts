// The udp, dns, smtp, ping and file checks of a real server (keepalived UDP_CHECK,
// DNS_CHECK, SMTP_CHECK, PING_CHECK, FILE_CHECK): their keys checked and the model built.
// buildCheck (build-lvs.ts) has already checked which keys apply to which type and built
// the timing and the connection part (port, connect_timeout, bind_address).
import { type IpFamily, parseCidr, parseIp } from '../net/addr.js';
import { type BuildContext, familyName } from './build-context.js';
import type { ConfigPath } from './errors.js';
import { pathText } from './errors.js';
import type { CheckTiming, DnsCheck, FileCheck, PingCheck, SmtpCheck, UdpCheck } from './model.js';
import type { RawCheck } from './raw.js';

export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';

/**
 * keepalived's HEX_STR: groups of hex digits separated by blanks, two digits a byte, an odd
 * last digit of a group one byte of its own ("Ab12f 3" = ab 12 0f 03). `wild`: x/X stands for
 * a nibble that may be anything. Returns lowercase digits, or null when a character is not one.
 */
export function normalizeHex(text: string, wild: boolean): string | null {
  const ok = wild ? /^[0-9a-fA-FxX]+$/ : /^[0-9a-fA-F]+$/;
  let out = '';
  for (const group of text.trim().split(/\s+/)) {
    if (group === '') continue;
    if (!ok.test(group)) return null;
    const g = group.toLowerCase();
    for (let i = 0; i < g.length; i += 2) out += i + 1 < g.length ? g.slice(i, i + 2) : `0${g[i]}`;
  }
  return out;
}

interface NetPart extends CheckTiming {
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly bindAddress?: string;
}

export function buildDatagramOrSmtpCheck(
  ctx: BuildContext,
  c: RawCheck,
  p: ConfigPath,
  net: NetPart,
): UdpCheck | DnsCheck | SmtpCheck | undefined {
  if (c.type === 'dns') {
    return {
      type: 'dns',
      ...net,
      queryType: c.query_type ?? 'SOA',
      queryName: c.query_name === undefined || c.query_name === '.' ? '' : c.query_name.replace(/\.$/, ''),
    };
  }
  if (c.type === 'smtp') return { type: 'smtp', ...net, heloName: c.helo_name ?? SMTP_DEFAULT_HELO };
  let ok = true;
  const hex = (key: 'payload' | 'reply', wild: boolean): string | undefined => {
    const v = c[key];
    if (v === undefined) return undefined;
    const h = normalizeHex(v, wild);
    if (h === null || h === '') {
      ctx.error(
        [...p, key],
        'CONFIG_BAD_VALUE',
        `${pathText([...p, key])}: '${v}' is not hex digits${wild ? ' (and x)' : ''}`,
      );
      ok = false;
      return undefined;
    }
    return h;
  };
  const payloadHex = hex('payload', false);
  const replyHex = hex('reply', true);
  const requireReply = c.require_reply === true;
  if (!requireReply) {
    for (const key of ['reply', 'min_reply_length', 'max_reply_length'] as const) {
      if (c[key] !== undefined) {
        ctx.error([...p, key], 'CONFIG_NOT_APPLICABLE', `'${key}' needs require_reply: true`, true);
        ok = false;
      }
    }
  }
  const minReplyLength = c.min_reply_length ?? 0;
  const maxReplyLength = c.max_reply_length ?? 255;
  if (minReplyLength > maxReplyLength) {
    ctx.error(
      [...p, 'min_reply_length'],
      'CONFIG_OUT_OF_RANGE',
      `${pathText([...p, 'min_reply_length'])} ${minReplyLength} is above max_reply_length ${maxReplyLength}: the check would always fail`,
    );
    ok = false;
  }
  if (!ok) return undefined;
  return {
    type: 'udp',
    ...net,
    ...(payloadHex !== undefined ? { payloadHex } : {}),
    requireReply,
    ...(replyHex !== undefined ? { replyHex } : {}),
    minReplyLength,
    maxReplyLength,
  };
}

/** ping and file: no port. */
export function buildHostlessCheck(
  ctx: BuildContext,
  c: RawCheck,
  p: ConfigPath,
  timing: CheckTiming,
  rsFamily: IpFamily,
): PingCheck | FileCheck | undefined {
  if (c.type === 'file') {
    if (c.file === undefined) {
      ctx.error(p, 'CONFIG_MISSING_KEY', `${pathText(p)}: a file check needs 'file' (an absolute path)`);
      return undefined;
    }
    return { type: 'file', ...timing, file: c.file, reverse: c.reverse === true };
  }
  let bindAddress: string | undefined;
  if (c.bind_address !== undefined) {
    const ip = parseIp(c.bind_address);
    if (!ip) {
      ctx.error([...p, 'bind_address'], 'CONFIG_BAD_ADDRESS', `'${c.bind_address}' is not an IP address`);
      return undefined;
    }
    if (ip.family !== rsFamily) {
      ctx.error(
        [...p, 'bind_address'],
        'CONFIG_FAMILY_MISMATCH',
        `bind_address ${c.bind_address} is ${familyName(ip.family)} but the real server is ${familyName(rsFamily)}`,
      );
      return undefined;
    }
    bindAddress = parseCidr(c.bind_address)!.address;
  }
  return {
    type: 'ping',
    ...timing,
    connectTimeoutMs:
      c.connect_timeout === undefined
        ? timing.timeoutMs
        : ctx.positiveMs([...p, 'connect_timeout'], c.connect_timeout),
    ...(bindAddress !== undefined ? { bindAddress } : {}),
  };
}
