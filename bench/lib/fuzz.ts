// Fuzzing beyond the codec (issue #16, part 5), the pure parts shared by bench/fuzz.ts
// (the long runs) and test/unit/fuzz-slices.test.ts (the slices CI runs):
// - adverts: mutated IPv4 packets and IPv6 VRRP messages through the engine's receive
//   path (parseIpPacket, decodeAdvert, acceptAdvert) and, when accepted, the state
//   machine of the instance with that VRID, on a clock that moves and fires its timers;
// - configs: mutated YAML through the loader check-config uses, mutated keepalived.conf
//   through the importer and its output back through the loader;
// - netlink: truncated and inconsistent replies (addresses, links, host routes, IPVS
//   services, destinations, info, timeouts, sync daemons, generic-netlink families, errors)
//   through the parsers.
// Each run is deterministic from its seed; a broken invariant throws a FuzzFailure naming
// the seed, the case number and the input.
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import { ipBytes } from '../../src/net/addr.js';
import { IP_HEADER_DROP_REASONS, parseIpPacket } from '../../src/net/ip-header.js';
import { buildIpFrame } from '../../src/net/ipframe.js';
import { encodeAttrs } from '../../src/netlink/attrs.js';
import { CTRL_ATTR, decodeFamily, decodeGenl, encodeGenl } from '../../src/netlink/genl.js';
import {
  decodeDaemonMessage,
  decodeDestMessage,
  decodeInfoMessage,
  decodeServiceMessage,
  decodeTimeoutsMessage,
  destAttrs,
  serviceAttrs,
} from '../../src/netlink/ipvs.js';
import { IPVS_CMD, IPVS_CMD_ATTRS } from '../../src/netlink/ipvs-attrs.js';
import { decodeDestFast } from '../../src/netlink/ipvs-fast.js';
import { decodeError, decodeMessages, encodeMessage, NLMSG_ERROR } from '../../src/netlink/message.js';
import {
  addressRequest,
  decodeIfAddrMsg,
  decodeIfInfoMsg,
  macvlanCreateRequest,
  parseAddress,
  parseLink,
} from '../../src/netlink/rtnetlink.js';
import { hostRouteRequest, parseHostRoute } from '../../src/netlink/rtroute.js';
import { acceptAdvert, type ReceiveRules } from '../../src/vrrp/accept.js';
import { decodeAdvert, type EncodableAdvert, encodeAdvert, simpleAuthData } from '../../src/vrrp/codec.js';
import { DROP_REASONS } from '../../src/vrrp/drop-reason.js';
import { type FsmConfig, type FsmState, initialState, nextDeadline, step } from '../../src/vrrp/fsm.js';

export class FuzzFailure extends Error {}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzStats {
  cases: number;
  /** outcome → count (drop reasons, 'accepted', 'error', 'ok', ...) */
  outcomes: Record<string, number>;
  ms: number;
}

const bump = (o: Record<string, number>, k: string) => {
  o[k] = (o[k] ?? 0) + 1;
};

export function mutateBytes(b: Buffer, rand: () => number, donors: readonly Buffer[]): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  let out = Buffer.from(b);
  for (let k = 1 + int(4); k > 0; k--) {
    switch (int(7)) {
      case 0: // bit flips
        if (out.length) out[int(out.length)]! ^= 1 << int(8);
        break;
      case 1: // a byte set to an edge value
        if (out.length) out[int(out.length)] = [0, 1, 0x7f, 0x80, 0xff, int(256)][int(6)]!;
        break;
      case 2: // truncated
        out = out.subarray(0, int(out.length + 1));
        break;
      case 3: // extended with junk
        out = Buffer.concat([out, Buffer.from(Array.from({ length: 1 + int(24) }, () => int(256)))]);
        break;
      case 4: {
        // spliced with another packet
        const d = donors[int(donors.length)]!;
        const cut = int(out.length + 1);
        out = Buffer.concat([out.subarray(0, cut), d.subarray(int(d.length + 1))]);
        break;
      }
      case 5: // a 16-bit field overwritten (lengths, checksums, counts)
        if (out.length >= 2) out.writeUInt16BE(int(65536), int(out.length - 1));
        break;
      default: // a run of bytes zeroed
        if (out.length) out.fill(0, int(out.length), int(out.length + 1));
    }
  }
  return Buffer.from(out);
}

// ----------------------------------------------------------------------------- adverts

const ME4 = '192.0.2.10';
const PEER4 = '192.0.2.20';
const GROUP4 = '224.0.0.18';
const ME6 = 'fe80::10';
const PEER6 = 'fe80::20';
const GROUP6 = 'ff02::12';
const PEER6_BYTES = ipBytes(PEER6);
const ME6_BYTES = ipBytes(ME6);
const GROUP6_BYTES = ipBytes(GROUP6);

interface Target {
  rules: ReceiveRules;
  fsm: FsmState;
}

function targetsFor(family: 4 | 6, now: number): Map<number, Target> {
  const me = family === 4 ? ME4 : ME6;
  const vip = family === 4 ? '192.0.2.50' : '2001:db8::50';
  const specs: { vrid: number; version: 2 | 3; priority: number; intervalCs: number; pass?: string }[] =
    family === 4
      ? [
          { vrid: 51, version: 3, priority: 100, intervalCs: 100 },
          { vrid: 52, version: 2, priority: 200, intervalCs: 100, pass: 'secret' },
          { vrid: 53, version: 3, priority: 255, intervalCs: 10 },
        ]
      : [{ vrid: 51, version: 3, priority: 150, intervalCs: 100 }];
  const out = new Map<number, Target>();
  for (const s of specs) {
    const cfg: FsmConfig = {
      version: s.version,
      vrid: s.vrid,
      priority: s.priority,
      advertIntervalCs: s.intervalCs,
      preempt: s.vrid !== 52,
      preemptDelayMs: s.vrid === 51 ? 2000 : 0,
      acceptMode: false,
      primaryAddress: Uint8Array.from(ipBytes(me)),
    };
    const rules: ReceiveRules = {
      version: s.version,
      vrid: s.vrid,
      advertIntervalCs: s.intervalCs,
      authData: s.pass ? simpleAuthData(s.pass) : null,
      primaryAddress: ipBytes(me),
      advertAddresses: [ipBytes(vip)],
      unicastPeers: [],
    };
    let fsm = initialState(cfg, now);
    fsm = step(fsm, { type: 'startup' }, now).state;
    out.set(s.vrid, { rules, fsm });
  }
  return out;
}

/** Valid adverts (the bases the mutations start from), as IPv4 packets or IPv6 messages. */
export function advertCorpus(family: 4 | 6): Buffer[] {
  const src = family === 4 ? PEER4 : PEER6;
  const dst = family === 4 ? GROUP4 : GROUP6;
  const ctx = { family, srcAddress: src, dstAddress: dst } as const;
  const vips = family === 4 ? ['192.0.2.50', '192.0.2.51', '198.51.100.7'] : ['2001:db8::50', 'fe80::50'];
  const out: Buffer[] = [];
  for (const vrid of [51, 52, 53, 99]) {
    for (const priority of [0, 1, 99, 100, 101, 254, 255]) {
      for (const n of [0, 1, vips.length]) {
        const addresses = vips.slice(0, n);
        const v3: EncodableAdvert = {
          version: 3,
          type: 1,
          vrid,
          priority,
          maxAdvertIntervalCs: 100,
          addresses,
        };
        out.push(encodeAdvert(v3, ctx));
        if (family === 4)
          out.push(
            encodeAdvert(
              {
                version: 2,
                type: 1,
                vrid,
                priority,
                advertIntervalSec: 1,
                authType: vrid === 52 ? 1 : 0,
                authData: vrid === 52 ? simpleAuthData('secret') : Buffer.alloc(8),
                addresses,
              },
              ctx,
            ),
          );
      }
    }
  }
  if (family === 6) return out;
  return out.map((payload) =>
    buildIpFrame({ srcMac: '02:00:00:00:00:20', src, dst, protocol: 112, ttl: 255, payload }).subarray(14),
  );
}

const REASONS = new Set<string>([...DROP_REASONS, ...IP_HEADER_DROP_REASONS]);
const STATES = new Set(['init', 'backup', 'master', 'fault']);

function checkFsm(s: FsmState, now: number): string | null {
  if (!STATES.has(s.state)) return `state ${String(s.state)}`;
  const owner = s.cfg.priority === 255;
  if (owner ? s.effectivePriority !== 255 : s.effectivePriority < 1 || s.effectivePriority > 254)
    return `effective priority ${s.effectivePriority}`;
  if (s.state === 'master' && (s.advertAt === null || s.masterDownAt !== null)) return 'master timers';
  if (s.state === 'backup' && (s.masterDownAt === null || s.advertAt !== null)) return 'backup timers';
  const d = nextDeadline(s);
  if (d !== null && !(d > now)) return `deadline ${d} not after now ${now}`;
  if (s.masterAdverIntervalCs < 1 || s.masterAdverIntervalCs > 4095)
    return `Master_Adver_Interval ${s.masterAdverIntervalCs} cs`;
  return null;
}

/** n mutated adverts through the receive path and, when accepted, the state machine. */
export function fuzzAdverts(n: number, seed: number): FuzzStats {
  const rand = rng(seed);
  const int = (k: number) => Math.floor(rand() * k);
  const corpora = { 4: advertCorpus(4), 6: advertCorpus(6) };
  let now = 1_000_000;
  const targets = { 4: targetsFor(4, now), 6: targetsFor(6, now) };
  const outcomes: Record<string, number> = {};
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const family: 4 | 6 = rand() < 0.75 ? 4 : 6;
    const corpus = corpora[family];
    const base = corpus[int(corpus.length)]!;
    const buf = rand() < 0.05 ? base : mutateBytes(base, rand, corpus);
    const fail = (why: string): never => {
      throw new FuzzFailure(
        `adverts seed ${seed} case ${i} (IPv${family}): ${why}; input ${buf.toString('hex')}`,
      );
    };
    let outcome: string;
    try {
      let payload: Uint8Array;
      let src: Uint8Array;
      let dst: Uint8Array;
      let ttl: number;
      if (family === 4) {
        const p = parseIpPacket(buf, 4);
        if (!p.ok) {
          if (!REASONS.has(p.reason)) fail(`undeclared IP drop reason ${p.reason}`);
          bump(outcomes, p.reason);
          continue;
        }
        if (p.value.protocol !== 112) {
          bump(outcomes, 'not-vrrp');
          continue;
        }
        payload = p.value.payload;
        src = p.value.src;
        dst = p.value.dst;
        ttl = p.value.ttl;
      } else {
        payload = buf;
        src = rand() < 0.9 ? PEER6_BYTES : ME6_BYTES;
        dst = GROUP6_BYTES;
        ttl = rand() < 0.9 ? 255 : int(256);
      }
      const target = payload.length >= 2 ? targets[family].get(payload[1]!) : undefined;
      const decoded = decodeAdvert(payload, { family, srcAddress: src, dstAddress: dst });
      const verdict = acceptAdvert(target?.rules, decoded, { src, ttl });
      if (!verdict.ok) {
        if (!REASONS.has(verdict.reason)) fail(`undeclared drop reason ${verdict.reason}`);
        outcome = verdict.reason;
      } else {
        if (!target) fail('accepted without an instance');
        const t = target!;
        const r = step(t.fsm, verdict.event, now);
        t.fsm = r.state;
        const bad = checkFsm(t.fsm, now);
        if (bad) fail(`state machine after the advert: ${bad}`);
        outcome = 'accepted';
      }
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      return fail(`threw ${(e as Error).stack ?? String(e)}`);
    }
    bump(outcomes, outcome);
    // the clock moves; the timers that fell due fire, as the engine would fire them
    now += int(40);
    for (const t of [...targets[4].values(), ...targets[6].values()]) {
      for (let guard = 0; guard < 10; guard++) {
        const d = nextDeadline(t.fsm);
        if (d === null || d > now) break;
        t.fsm = step(t.fsm, { type: 'timer' }, Math.max(now, d)).state;
        const bad = checkFsm(t.fsm, Math.max(now, d));
        if (bad) fail(`state machine after a timer: ${bad}`);
      }
    }
  }
  return { cases: n, outcomes, ms: performance.now() - t0 };
}

// ----------------------------------------------------------------------------- configs

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  ':',
  ': ',
  '- ',
  ',',
  '\t',
  '\n',
  '\r\n',
  '#',
  '!',
  '&a ',
  '*a',
  '<<: *a',
  '|',
  '>',
  '?',
  '~',
  'null',
  'true',
  '0x1F',
  '-1',
  '0',
  '1e999',
  '99999999999999999999',
  '255.255.255.255',
  '::',
  '2001:db8::1/129',
  '192.0.2.1/33',
  '300ms',
  '-5s',
  'ÿ',
  '\u0000',
  '\uFEFF',
  '\u202E',
  '%',
  '@',
  '@x ',
  'include /nonexistent',
  '$VAR',
  '$' + '{X}', // a keepalived parameter reference
  'vrrp_instance X {',
  'virtual_server 192.0.2.1 80 {',
  'real_server 198.51.100.1 80 {',
  'vrrp_instances:',
  'virtual_servers:',
  'name: VI',
  'priority: 300',
  'vrid: 0',
];

/** One to four edits of the text: spans, lines, words, indentation, truncation. */
export function mutateText(text: string, rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  let t = text;
  for (let k = 1 + int(4); k > 0; k--) {
    const lines = t.split('\n');
    const li = int(lines.length);
    switch (int(8)) {
      case 0: {
        const at = int(t.length + 1);
        t = t.slice(0, at) + t.slice(at + int(40));
        break;
      }
      case 1: {
        const at = int(t.length + 1);
        t = t.slice(0, at) + TOKENS[int(TOKENS.length)] + t.slice(at);
        break;
      }
      case 2:
        lines.splice(li, 0, lines[li] ?? '');
        t = lines.join('\n');
        break;
      case 3:
        lines.splice(li, 1);
        t = lines.join('\n');
        break;
      case 4: {
        const lj = int(lines.length);
        [lines[li], lines[lj]] = [lines[lj] ?? '', lines[li] ?? ''];
        t = lines.join('\n');
        break;
      }
      case 5:
        t = t.slice(0, int(t.length + 1));
        break;
      case 6: {
        const words = [...t.matchAll(/[\w.:/-]+/g)];
        const w = words[int(words.length)];
        if (!w || w.index === undefined) break;
        const other = rand() < 0.5 ? TOKENS[int(TOKENS.length)]! : (words[int(words.length)]?.[0] ?? '');
        t = t.slice(0, w.index) + other + t.slice(w.index + w[0].length);
        break;
      }
      default: {
        const l = lines[li] ?? '';
        lines[li] = rand() < 0.5 ? ' '.repeat(1 + int(4)) + l : l.replace(/^\s{1,4}/, '');
        t = lines.join('\n');
      }
    }
  }
  return t;
}

/** What check-config prints for a text: null when every line has the contract's shape. */
function checkLoaderAnswer(text: string, file: string): string | null {
  const r = parseConfigText(text, file, { hostname: 'fuzz' });
  if (r.ok) return null;
  if (r.errors.length === 0) return 'refused without an error';
  const nLines = text.split('\n').length;
  for (const e of r.errors) {
    const line = formatConfigError(e);
    if (line.includes('\n')) return `error spans lines: ${JSON.stringify(line)}`;
    if (!line.startsWith(`${file}:`) || !/^[^:]+:\d+:\d+: \S/.test(line)) return `not FILE:LINE:COL: ${line}`;
    if (e.line < 1 || e.line > nLines + 1 || e.col < 1) return `position out of the file: ${line}`;
    if (/\bat .+:\d+:\d+\)?$/m.test(e.message) || /Error:/.test(e.message))
      return `stack in message: ${line}`;
  }
  return null;
}

export type ConfigKind = 'yaml' | 'keepalived';

/** n mutated files of one kind through the loader (YAML) or the importer then the loader. */
export function fuzzConfigs(kind: ConfigKind, corpus: readonly string[], n: number, seed: number): FuzzStats {
  const rand = rng(seed);
  const outcomes: Record<string, number> = {};
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const text = mutateText(corpus[Math.floor(rand() * corpus.length)]!, rand);
    const fail = (why: string): never => {
      throw new FuzzFailure(`${kind} seed ${seed} case ${i}: ${why}\n--- input ---\n${text}`);
    };
    try {
      if (kind === 'yaml') {
        const bad = checkLoaderAnswer(text, 'fuzz.yaml');
        if (bad) fail(bad);
        bump(outcomes, parseConfigText(text, 'fuzz.yaml', { hostname: 'fuzz' }).ok ? 'valid' : 'refused');
      } else {
        const r = importKeepalivedConf(text, { file: 'fuzz.conf' });
        for (const w of r.warnings) {
          if (w.includes('\n')) fail(`warning spans lines: ${JSON.stringify(w)}`);
          if (!w.startsWith('fuzz.conf')) fail(`warning without its source: ${w}`);
        }
        const bad = checkLoaderAnswer(r.yaml, 'imported.yaml');
        if (bad) fail(`the imported YAML: ${bad}\n--- imported ---\n${r.yaml}`);
        bump(outcomes, r.warnings.length ? 'imported-with-warnings' : 'imported');
      }
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      fail(`threw ${(e as Error).stack ?? String(e)}`);
    }
  }
  return { cases: n, outcomes, ms: performance.now() - t0 };
}

// ----------------------------------------------------------------------------- netlink

const FAMILY_ID = 0x1c;

function nlCorpus(): { datagram: Buffer; kind: string }[] {
  const out: { datagram: Buffer; kind: string }[] = [];
  const msg = (type: number, payload: Buffer) => encodeMessage({ type, flags: 2, seq: 7, pid: 0, payload });
  out.push({ kind: 'address', datagram: msg(20, addressRequest(3, '192.0.2.50', 24, { label: 'eth0' })) });
  out.push({ kind: 'address', datagram: msg(20, addressRequest(3, '2001:db8::50', 64, { nodad: true })) });
  out.push({ kind: 'link', datagram: msg(16, macvlanCreateRequest(2, 'vrrp.51', '00:00:5e:00:01:33')) });
  const svc = {
    family: 4 as const,
    protocol: 'tcp' as const,
    address: '192.0.2.10',
    port: 80,
    scheduler: 'wlc',
    flags: { persistent: true, onePacket: false, shFallback: false, shPort: false, sched3: false },
    timeoutS: 300,
    netmask: 32,
  };
  const svc6 = { ...svc, family: 6 as const, address: '2001:db8::10', netmask: 128 };
  for (const s of [svc, svc6])
    out.push({
      kind: 'service',
      datagram: msg(
        FAMILY_ID,
        encodeGenl(
          IPVS_CMD.NEW_SERVICE,
          1,
          encodeAttrs(IPVS_CMD_ATTRS, { IPVS_CMD_ATTR_SERVICE: serviceAttrs(s as never, true) }),
        ),
      ),
    });
  for (const [fam, addr] of [
    [4, '198.51.100.2'],
    [6, '2001:db8::2'],
  ] as const)
    out.push({
      kind: `dest${fam}`,
      datagram: msg(
        FAMILY_ID,
        encodeGenl(
          IPVS_CMD.NEW_DEST,
          1,
          encodeAttrs(IPVS_CMD_ATTRS, {
            IPVS_CMD_ATTR_DEST: destAttrs(
              {
                family: fam,
                address: addr,
                port: 80,
                forwarding: 'nat',
                weight: 3,
                upperThreshold: 0,
                lowerThreshold: 0,
              } as never,
              true,
            ),
          }),
        ),
      ),
    });
  out.push({
    kind: 'family',
    datagram: msg(
      0x10,
      encodeGenl(
        1,
        2,
        encodeAttrs(CTRL_ATTR, { CTRL_ATTR_FAMILY_ID: FAMILY_ID, CTRL_ATTR_FAMILY_NAME: 'IPVS' }),
      ),
    ),
  });
  // host routes (the route sink's dump and its events)
  out.push({ kind: 'route', datagram: msg(24, hostRouteRequest('192.0.2.50', 100, 99, 3)) });
  out.push({ kind: 'route', datagram: msg(24, hostRouteRequest('2001:db8::50', 1000, 99, 3)) });
  const err = Buffer.alloc(20);
  err.writeInt32LE(-17, 0);
  out.push({ kind: 'error', datagram: msg(NLMSG_ERROR, err) });
  // a multi-message datagram (a dump page)
  out.push({ kind: 'multi', datagram: Buffer.concat(out.slice(0, 4).map((x) => x.datagram)) });
  return out;
}

/** n truncated / inconsistent datagrams through every parser; each answers or says why not. */
export function fuzzNetlink(n: number, seed: number): FuzzStats {
  const rand = rng(seed);
  const corpus = nlCorpus();
  const donors = corpus.map((c) => c.datagram);
  const outcomes: Record<string, number> = {};
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const base = corpus[Math.floor(rand() * corpus.length)]!;
    const buf = mutateBytes(base.datagram, rand, donors);
    try {
      const msgs = decodeMessages(buf);
      if (!Array.isArray(msgs)) {
        if (typeof msgs.error !== 'string' || !msgs.error)
          throw new FuzzFailure('decodeMessages: empty error');
        bump(outcomes, 'datagram-refused');
        continue;
      }
      for (const m of msgs) {
        // every parser sees every message: a reply of the wrong kind must be refused too
        const results: unknown[] = [
          parseAddress(m.payload),
          parseLink(m.payload),
          decodeGenl(m.payload),
          decodeServiceMessage(m),
          decodeDestMessage(m, 4),
          decodeDestMessage(m, 6),
          decodeDestFast(m.payload, 4),
          decodeDestFast(m.payload, 6),
          decodeInfoMessage(m),
          decodeTimeoutsMessage(m),
          decodeDaemonMessage(m),
          decodeFamily(m),
          decodeError(m),
          parseHostRoute(m.payload),
          decodeIfAddrMsg(m.payload),
          decodeIfInfoMsg(m.payload),
        ];
        for (const r of results) {
          if (r === undefined) throw new FuzzFailure('a parser returned undefined');
          if (
            r &&
            typeof r === 'object' &&
            'error' in r &&
            typeof (r as { error: unknown }).error !== 'string'
          )
            throw new FuzzFailure('an error that is not a string');
        }
        const svc = results[3] as { error?: string };
        bump(outcomes, `${base.kind}:${svc.error ? 'service-refused' : 'service-read'}`);
      }
    } catch (e) {
      throw new FuzzFailure(
        `netlink seed ${seed} case ${i} (${base.kind}): ${e instanceof FuzzFailure ? e.message : `threw ${(e as Error).stack ?? String(e)}`}; input ${buf.toString('hex')}`,
      );
    }
  }
  return { cases: n, outcomes, ms: performance.now() - t0 };
}
