// ipvsadm table → vrrpd `virtual_servers` YAML. The input is `ipvsadm-save -n` output or a
// shell script of `ipvsadm` commands (short or long options, comments, a `#!` line, line
// continuations). The commands are played in order against a table held here, with
// ipvsadm's own defaults and rules (an edit replaces every attribute it does not name with
// its default, as ipvsadm does), and the table that results is written out.
// There is no silent path: what vrrpd cannot carry is named in a
// `# not carried over (line N): ... because ...` comment and one warning (the CLI prints
// them on stderr; --strict makes any of them exit 1).
import { Document, isMap, isSeq, type Node } from 'yaml';
import { type IpFamily, parseCidr, parseIp } from '../net/addr.js';
import { SCHEDULERS } from './schema.js';

type Obj = Record<string, unknown>;
type Proto = 'tcp' | 'udp' | 'sctp';
type Fwd = 'nat' | 'dr' | 'tun';

export interface IpvsadmNote {
  line: number;
  text: string;
  /** true: not carried over: a warning, and --strict fails */
  dropped: boolean;
}

export interface IpvsadmImportOptions {
  /** the name in the header comment and warnings (default: ipvsadm-save) */
  sourceName?: string;
  /** a service name (`http`) → port, as ipvsadm reads /etc/services; default: numbers only */
  servicePort?: (name: string, proto: Proto) => number | undefined;
}

export interface IpvsadmImportResult {
  yaml: string;
  /** one line per thing not carried over: `SOURCE:LINE: not carried over: ... because ...` */
  warnings: string[];
}

/** ipvsadm's defaults (ipvsadm 1.31, `man ipvsadm`) */
export const IPVSADM_DEFAULTS = {
  scheduler: 'wlc',
  /** -p without a value */
  persistenceS: 360,
  weight: 1,
  forwarding: 'dr' as Fwd,
};

interface RealServer {
  address: string;
  family: IpFamily;
  port: number;
  forwarding: Fwd;
  weight: number;
  upper: number;
  lower: number;
  tunType?: string;
  tunPort?: number;
  line: number;
  notes: IpvsadmNote[];
}

interface Service {
  key: string;
  proto: Proto;
  address?: string;
  port?: number;
  fwmark?: number;
  family: IpFamily;
  scheduler: string;
  persistenceS?: number;
  netmask?: string;
  /** scheduler flag bits: 1 = flag-1 (sh/mh-fallback), 2 = flag-2 (sh/mh-port), 4 = flag-3 */
  flags: number;
  ops: boolean;
  line: number;
  notes: IpvsadmNote[];
  reals: RealServer[];
}

// ipvsadm's options: long name → [short, takes a value]
const OPTIONS: Record<string, [string | null, 'none' | 'value' | 'optional']> = {
  'add-service': ['A', 'none'],
  'edit-service': ['E', 'none'],
  'delete-service': ['D', 'none'],
  clear: ['C', 'none'],
  restore: ['R', 'none'],
  save: ['S', 'none'],
  'add-server': ['a', 'none'],
  'edit-server': ['e', 'none'],
  'delete-server': ['d', 'none'],
  list: ['L', 'none'],
  zero: ['Z', 'none'],
  set: [null, 'value'],
  'start-daemon': [null, 'value'],
  'stop-daemon': [null, 'value'],
  help: ['h', 'none'],
  version: ['v', 'none'],
  'tcp-service': ['t', 'value'],
  'udp-service': ['u', 'value'],
  'sctp-service': [null, 'value'],
  'fwmark-service': ['f', 'value'],
  ipv6: ['6', 'none'],
  scheduler: ['s', 'value'],
  pe: [null, 'value'],
  persistent: ['p', 'optional'],
  netmask: ['M', 'value'],
  'real-server': ['r', 'value'],
  gatewaying: ['g', 'none'],
  ipip: ['i', 'none'],
  masquerading: ['m', 'none'],
  'tun-type': [null, 'value'],
  'tun-port': [null, 'value'],
  'tun-nocsum': [null, 'none'],
  'tun-csum': [null, 'none'],
  'tun-remcsum': [null, 'none'],
  weight: ['w', 'value'],
  'u-threshold': ['x', 'value'],
  'l-threshold': ['y', 'value'],
  'mcast-interface': [null, 'value'],
  syncid: [null, 'value'],
  'sync-maxlen': [null, 'value'],
  'mcast-group': [null, 'value'],
  'mcast-port': [null, 'value'],
  'mcast-ttl': [null, 'value'],
  connection: ['c', 'none'],
  timeout: [null, 'none'],
  daemon: [null, 'none'],
  stats: [null, 'none'],
  rate: [null, 'none'],
  thresholds: [null, 'none'],
  'persistent-conn': [null, 'none'],
  nosort: [null, 'none'],
  sort: [null, 'none'],
  numeric: ['n', 'none'],
  exact: [null, 'none'],
  ops: ['o', 'none'],
  'sched-flags': ['b', 'value'],
};
const SHORT = new Map(
  Object.entries(OPTIONS)
    .filter(([, [s]]) => s !== null)
    .map(([long, [s]]) => [s as string, long]),
);
// -l is a synonym of -L
SHORT.set('l', 'list');

const COMMANDS = [
  'add-service',
  'edit-service',
  'delete-service',
  'clear',
  'restore',
  'save',
  'add-server',
  'edit-server',
  'delete-server',
  'list',
  'zero',
  'set',
  'start-daemon',
  'stop-daemon',
  'help',
  'version',
];

/** One logical line: its first physical line number and its text (continuations joined). */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const phys = text.split(/\r?\n/);
  for (let i = 0; i < phys.length; i++) {
    const start = i + 1;
    let t = phys[i] ?? '';
    while (/(^|[^\\])(\\\\)*\\$/.test(t) && i + 1 < phys.length) {
      t = `${t.slice(0, -1)} ${phys[++i]}`;
    }
    out.push({ line: start, text: t });
  }
  return out;
}

/**
 * Splits a shell line into commands (at unquoted ; && || and before an unquoted #) and
 * words; quotes are removed. `expands` is true when a word holds an unquoted-or-double-quoted
 * `$`, backquote or glob the shell would expand.
 */
function shellSplit(text: string): { words: string[]; expands: boolean }[] {
  const cmds: { words: string[]; expands: boolean }[] = [];
  let words: string[] = [];
  let cur: string | null = null;
  let expands = false;
  const endWord = () => {
    if (cur !== null) words.push(cur);
    cur = null;
  };
  const endCmd = () => {
    endWord();
    if (words.length) cmds.push({ words, expands });
    words = [];
    expands = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const j = text.indexOf("'", i + 1);
      const end = j < 0 ? text.length : j;
      cur = (cur ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        else if (text[j] === '$' || text[j] === '`') expands = true;
        s += text[j];
        j++;
      }
      cur = (cur ?? '') + s;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      cur = (cur ?? '') + text[++i];
    } else if (c === ' ' || c === '\t') endWord();
    else if (c === '#' && cur === null) break;
    else if (c === '&' && (text[i - 1] === '>' || text[i - 1] === '<' || text[i + 1] === '>')) {
      // a redirection (2>&1, &>file), not a list
      cur = (cur ?? '') + c;
    } else if (c === ';' || c === '&' || c === '|') {
      endCmd();
      if ((c === '&' || c === '|') && text[i + 1] === c) i++;
    } else {
      if (c === '$' || c === '`' || c === '*' || c === '?') expands = true;
      cur = (cur ?? '') + c;
    }
  }
  endCmd();
  return cmds;
}

/** command words → options in order: [long name, value?]; or the reason it cannot be read */
function parseArgs(args: string[]): { opts: [string, string | undefined][] } | { error: string } {
  const opts: [string, string | undefined][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const take = (long: string, inline: string | undefined): string | null => {
      const kind = OPTIONS[long]![1];
      if (kind === 'none') {
        if (inline !== undefined && inline !== '') return null;
        opts.push([long, undefined]);
        return '';
      }
      if (inline !== undefined && inline !== '') {
        opts.push([long, inline]);
        return '';
      }
      const next = args[i + 1];
      if (long === 'set') {
        // --set TCP TCPFIN UDP: three numbers of seconds
        const three = args.slice(i + 1, i + 4);
        if (three.length !== 3 || !three.every((x) => /^\d+$/.test(x))) return null;
        opts.push([long, three.join(' ')]);
        i += 3;
        return '';
      }
      if (kind === 'optional') {
        if (next !== undefined && /^\d+$/.test(next)) {
          opts.push([long, next]);
          i++;
        } else opts.push([long, undefined]);
        return '';
      }
      // ipvsadm-save prints `-b ` with nothing after it for flags it has no name for
      if (next === undefined || (next.startsWith('-') && next.length > 1 && long === 'sched-flags')) {
        opts.push([long, '']);
        return '';
      }
      opts.push([long, next]);
      i++;
      return '';
    };
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (!OPTIONS[name]) return { error: `'${a}' is not an ipvsadm option` };
      if (take(name, eq < 0 ? undefined : a.slice(eq + 1)) === null)
        return {
          error:
            name === 'set' ? '--set needs three numbers (tcp tcpfin udp seconds)' : `'${a}' takes no value`,
        };
    } else if (a.startsWith('-') && a.length > 1) {
      // bundled short options: -Ln, -p600, -w3
      let j = 1;
      while (j < a.length) {
        const long = SHORT.get(a[j]!);
        if (!long) return { error: `'-${a[j]}' is not an ipvsadm option` };
        if (OPTIONS[long]![1] === 'none') {
          opts.push([long, undefined]);
          j++;
          continue;
        }
        take(long, a.slice(j + 1) || undefined);
        break;
      }
    } else return { error: `'${a}' is not an option (ipvsadm takes no bare words)` };
  }
  return { opts };
}

const int = (s: string | undefined, min: number, max: number): number | null => {
  if (s === undefined || !/^(\d+|0x[0-9a-f]+)$/i.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
};

/** `addr[:port]`, `[v6addr][:port]` or a bare IPv6 address → parts; null when not one */
function hostPort(
  text: string,
  proto: Proto,
  lookup: IpvsadmImportOptions['servicePort'],
): { address: string; family: IpFamily; port?: number } | { error: string } {
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else if (parseIp(text)?.family === 6) host = text;
  else {
    const c = text.lastIndexOf(':');
    host = c < 0 ? text : text.slice(0, c);
    portText = c < 0 ? undefined : text.slice(c + 1);
  }
  const ip = parseIp(host);
  if (!ip)
    return {
      error: `'${host}' is not an IP address (vrrpd does not resolve host names: write the address)`,
    };
  const address = parseCidr(host)!.address;
  if (portText === undefined || portText === '') return { address, family: ip.family };
  const n = int(portText, 0, 65535);
  if (n !== null) return { address, family: ip.family, port: n };
  const named = lookup?.(portText, proto);
  if (named === undefined) return { error: `'${portText}' is not a port number or a known service name` };
  return { address, family: ip.family, port: named };
}

const FLAG_BITS: Record<string, number> = {
  'flag-1': 1,
  'sh-fallback': 1,
  'mh-fallback': 1,
  'flag-2': 2,
  'sh-port': 2,
  'mh-port': 2,
  'flag-3': 4,
};

/** an IPv4 netmask → prefix length, when contiguous */
function maskLength(mask: string): number | null {
  const ip = parseIp(mask);
  if (ip?.family !== 4) return null;
  const host = ~ip.bytes.readUInt32BE(0) >>> 0;
  return (host & (host + 1)) === 0 ? 32 - Math.log2(host + 1) : null;
}

const serviceText = (s: Service): string =>
  s.fwmark !== undefined
    ? `fwmark ${s.fwmark}${s.family === 6 ? ' (IPv6)' : ''}`
    : `${s.proto} ${s.family === 6 ? `[${s.address}]` : s.address}:${s.port}`;

/** ipvsadm table text → vrrpd YAML and the warnings (validate it with check-config before use). */
export function importIpvsadm(text: string, opts: IpvsadmImportOptions = {}): IpvsadmImportResult {
  const sourceName = opts.sourceName ?? 'ipvsadm-save';
  const table: Service[] = [];
  const headNotes: IpvsadmNote[] = [];
  const timeouts: Obj = {};

  let exitedAt = 0;
  for (const { line, text: lt } of logicalLines(text)) {
    if (line === 1 && lt.startsWith('#!')) continue;
    if (exitedAt) {
      if (shellSplit(lt).length)
        headNotes.push({
          line,
          text: `left out: the script exits at line ${exitedAt}, before it`,
          dropped: false,
        });
      continue;
    }
    for (const cmd of shellSplit(lt)) {
      const shown = `'${cmd.words.join(' ')}'`;
      const drop = (why: string, notes: IpvsadmNote[] = headNotes): void => {
        notes.push({ line, text: `${shown} because ${why}`, dropped: true });
      };
      // redirections go with the command, they change nothing in the table
      const words = cmd.words.filter((w) => !/^\d*[<>]/.test(w) && !/^&>/.test(w));
      let args: string[];
      const first = words[0] ?? '';
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) {
        headNotes.push({
          line,
          text: `${shown}: a shell variable; the lines that use it are reported where they are`,
          dropped: false,
        });
        continue;
      }
      if (first.startsWith('-')) args = words;
      else if (/(^|\/)ipvsadm$/.test(first)) args = words.slice(1);
      else if (/^(set|true|:)$/.test(first)) continue;
      else if (first === 'exit') {
        exitedAt = line;
        break;
      } else if (/(^|\/)modprobe$/.test(first) && words.slice(1).every((w) => /^(ip_vs\w*|-\w+)$/.test(w))) {
        headNotes.push({
          line,
          text: `${shown}: not needed, the kernel loads the IPVS modules on demand`,
          dropped: false,
        });
        continue;
      } else {
        drop(
          first.includes('$')
            ? 'it runs a command named by a shell variable: expand it and import again'
            : 'it is not an ipvsadm command (only ipvsadm commands are imported)',
        );
        continue;
      }
      if (cmd.expands) {
        drop('it uses shell expansion ($VAR, `...`, globs): expand it and import again');
        continue;
      }
      const parsed = parseArgs(args);
      if ('error' in parsed) {
        drop(parsed.error);
        continue;
      }
      const o = parsed.opts;
      const cmds = o.filter(([k]) => COMMANDS.includes(k));
      const has = (k: string) => o.some(([x]) => x === k);
      const val = (k: string): string | undefined => [...o].reverse().find(([x]) => x === k)?.[1];
      if (cmds.length === 0) {
        drop('it has no ipvsadm command (-A, -a, -E, -e, -D, -d, -C, ...)');
        continue;
      }
      if (cmds.length > 1 && !(cmds.every(([k]) => k === 'list' || k === 'zero') && cmds.length <= 2)) {
        drop('it names more than one ipvsadm command');
        continue;
      }
      const command = cmds[0]![0];
      if (command === 'list' || command === 'save' || command === 'help' || command === 'version') {
        headNotes.push({ line, text: `${shown}: a listing, nothing to carry over`, dropped: false });
        continue;
      }
      if (command === 'zero') {
        headNotes.push({ line, text: `${shown}: zeroes counters, nothing to carry over`, dropped: false });
        continue;
      }
      if (command === 'restore') {
        drop('the table it reads is in another file: import that file (ipvsadm-save format)');
        continue;
      }
      if (command === 'start-daemon' || command === 'stop-daemon') {
        drop(
          'vrrpd runs the connection sync daemon following a VRRP instance (lvs_sync_daemon: interface, instance, sync_id): set it by hand',
        );
        continue;
      }
      if (command === 'clear') {
        const gone = table.splice(0);
        if (gone.length)
          headNotes.push({
            line,
            text: `${shown}: the ${gone.length} service(s) made before it are left out`,
            dropped: false,
          });
        headNotes.push({
          line,
          text: `${shown}: vrrpd never clears the table; it deletes only services it owns (README 'What IPVS entries vrrpd owns')`,
          dropped: false,
        });
        continue;
      }
      if (command === 'set') {
        const vals = (val('set') ?? '').split(' ');
        const keys = ['tcp', 'tcp_fin', 'udp'];
        // 0 leaves the kernel's value, as an absent lvs_timeouts key does
        vals.forEach((v, i) => {
          if (Number(v) > 0) timeouts[keys[i]!] = `${Number(v)}s`;
        });
        continue;
      }

      // service commands: exactly one service
      const svcOpts = o.filter(([k]) =>
        ['tcp-service', 'udp-service', 'sctp-service', 'fwmark-service'].includes(k),
      );
      if (svcOpts.length !== 1) {
        drop(
          svcOpts.length
            ? 'it names more than one service'
            : 'it names no service (-t, -u, --sctp-service, -f)',
        );
        continue;
      }
      const [svcKind, svcVal] = svcOpts[0]!;
      const proto: Proto = svcKind === 'udp-service' ? 'udp' : svcKind === 'sctp-service' ? 'sctp' : 'tcp';
      let key: string;
      let address: string | undefined;
      let port: number | undefined;
      let fwmark: number | undefined;
      let family: IpFamily;
      if (svcKind === 'fwmark-service') {
        const m = int(svcVal, 1, 4294967295);
        if (m === null) {
          drop(`'${svcVal}' is not a firewall mark (1-4294967295)`);
          continue;
        }
        fwmark = m;
        family = has('ipv6') ? 6 : 4;
        key = `fwmark:${m}:${family}`;
      } else {
        if (parseIp(svcVal ?? '')?.family === 6) {
          drop(`an IPv6 service is written [address]:port, as ipvsadm needs it ('${svcVal}' has no port)`);
          continue;
        }
        const hp = hostPort(svcVal ?? '', proto, opts.servicePort);
        if ('error' in hp) {
          drop(hp.error);
          continue;
        }
        address = hp.address;
        port = hp.port ?? 0;
        family = hp.family;
        key = `${proto}:${address}:${port}`;
      }
      const idx = table.findIndex((s) => s.key === key);
      const existing = idx >= 0 ? table[idx] : undefined;
      const label = existing ? serviceText(existing) : svcVal;

      if (command === 'delete-service') {
        if (!existing) drop(`there is no service ${label} at that point (ipvsadm fails the same)`);
        else table.splice(idx, 1);
        continue;
      }
      if (command === 'add-service' || command === 'edit-service') {
        if (command === 'add-service' && existing) {
          drop(`service ${label} already exists (ipvsadm fails: use -E to edit it)`);
          continue;
        }
        if (command === 'edit-service' && !existing) {
          drop(`there is no service ${label} at that point (ipvsadm fails the same)`);
          continue;
        }
        const notes: IpvsadmNote[] = [];
        const svc: Service = {
          key,
          proto,
          ...(address !== undefined ? { address, port } : { fwmark }),
          family,
          scheduler: IPVSADM_DEFAULTS.scheduler,
          flags: 0,
          ops: false,
          line,
          notes,
          reals: existing?.reals ?? [],
        };
        const sched = val('scheduler');
        if (sched !== undefined) {
          if (!SCHEDULERS.includes(sched)) {
            drop(`vrrpd has no scheduler '${sched}' (it has ${SCHEDULERS.join(', ')})`, headNotes);
            continue;
          }
          svc.scheduler = sched;
        }
        if (has('persistent')) {
          const p = val('persistent');
          const t = p === undefined ? IPVSADM_DEFAULTS.persistenceS : int(p, 1, 2678400);
          if (t === null) {
            drop(`'${p}' is not a persistence timeout in seconds`);
            continue;
          }
          svc.persistenceS = t;
        }
        const mask = val('netmask');
        if (mask !== undefined) {
          const ok =
            family === 4 ? maskLength(mask) !== null && maskLength(mask)! > 0 : int(mask, 1, 128) !== null;
          if (!ok) {
            drop(
              family === 4
                ? `'${mask}' is not a contiguous IPv4 netmask`
                : `'${mask}' is not an IPv6 prefix length (1-128)`,
            );
            continue;
          }
          if (svc.persistenceS !== undefined) svc.netmask = mask;
          else
            notes.push({
              line,
              text: `-M ${mask} has no effect without -p (persistence); ipvsadm-save does not show it either`,
              dropped: false,
            });
        }
        if (port === 0 && svc.persistenceS === undefined && fwmark === undefined) {
          drop('port 0 (all ports) needs -p (persistence); ipvsadm refuses it too');
          continue;
        }
        if (has('ops')) {
          if (proto !== 'udp' && fwmark === undefined) {
            drop('-o (one-packet scheduling) is for UDP services; ipvsadm refuses it too');
            continue;
          }
          svc.ops = true;
        }
        const sf = val('sched-flags');
        if (sf !== undefined) {
          let bits = 0;
          const unknown: string[] = [];
          for (const f of sf.split(',').filter((x) => x !== '')) {
            if (FLAG_BITS[f] === undefined) unknown.push(f);
            else bits |= FLAG_BITS[f]!;
          }
          if (unknown.length) {
            drop(`'${unknown.join(',')}' is not a scheduler flag ipvsadm knows`);
            continue;
          }
          if (sf === '')
            drop(
              '-b has no flags: ipvsadm-save prints it so for flag bits it has no name for under sh and mh (flag-3), which vrrpd does not set',
              notes,
            );
          const named = svc.scheduler === 'sh' || svc.scheduler === 'mh';
          if (bits & 4) drop('vrrpd does not set flag-3 (no scheduler of the kernel uses it)', notes);
          if (bits & 3 && !named)
            drop(
              `vrrpd sets flag-1 and flag-2 only for the sh and mh schedulers, the ones that read them (this one is ${svc.scheduler})`,
              notes,
            );
          svc.flags = named ? bits & 3 : 0;
        }
        if (has('pe'))
          drop(
            `vrrpd sets no persistence engine (--pe ${val('pe')}): persistence is by client address only`,
            notes,
          );
        for (const k of [
          'real-server',
          'gatewaying',
          'ipip',
          'masquerading',
          'weight',
          'u-threshold',
          'l-threshold',
        ])
          if (has(k)) notes.push({ line, text: `--${k} does nothing on a service command`, dropped: false });
        if (existing) table[idx] = svc;
        else table.push(svc);
        continue;
      }

      // real server commands
      if (!existing) {
        drop(`there is no service ${label} at that point (ipvsadm fails the same)`);
        continue;
      }
      const rv = val('real-server');
      if (rv === undefined) {
        drop('it names no real server (-r)');
        continue;
      }
      const hp = hostPort(rv, proto, opts.servicePort);
      if ('error' in hp) {
        drop(hp.error);
        continue;
      }
      const fwdOpt = o
        .filter(([k]) => k === 'gatewaying' || k === 'ipip' || k === 'masquerading')
        .at(-1)?.[0];
      // ipvsadm gives a -g or -i real server of an address:port service the service's port,
      // whatever port is written (only NAT can change the port)
      const samePort = existing.fwmark === undefined && fwdOpt !== 'masquerading';
      const rport = samePort ? (existing.port ?? 0) : (hp.port ?? existing.port ?? 0);
      const ignoredPort = samePort && hp.port !== undefined && hp.port !== rport ? hp.port : undefined;
      const ridx = existing.reals.findIndex((r) => r.address === hp.address && r.port === rport);
      const rlabel = `${hp.family === 6 ? `[${hp.address}]` : hp.address}:${rport}`;
      if (command === 'delete-server') {
        if (ridx < 0) drop(`there is no real server ${rlabel} in ${serviceText(existing)} at that point`);
        else existing.reals.splice(ridx, 1);
        continue;
      }
      if (command === 'add-server' && ridx >= 0) {
        drop(`real server ${rlabel} already exists in ${serviceText(existing)} (ipvsadm fails: use -e)`);
        continue;
      }
      if (command === 'edit-server' && ridx < 0) {
        drop(`there is no real server ${rlabel} in ${serviceText(existing)} at that point`);
        continue;
      }
      const rnotes: IpvsadmNote[] = [];
      const forwarding: Fwd =
        fwdOpt === 'masquerading' ? 'nat' : fwdOpt === 'ipip' ? 'tun' : IPVSADM_DEFAULTS.forwarding;
      if (ignoredPort !== undefined)
        rnotes.push({
          line,
          text: `port ${ignoredPort} of ${rv} is ignored by ipvsadm: a ${forwarding === 'dr' ? '-g' : '-i'} real server gets the service port, ${rport}`,
          dropped: false,
        });
      if (hp.family !== existing.family && forwarding !== 'tun') {
        drop(`real server ${rlabel} is of the other address family: only a tunnel (-i) can carry it`);
        continue;
      }
      const weight = val('weight') === undefined ? IPVSADM_DEFAULTS.weight : int(val('weight'), 0, 65535);
      const upper = val('u-threshold') === undefined ? 0 : int(val('u-threshold'), 0, 2147483647);
      const lower = val('l-threshold') === undefined ? 0 : int(val('l-threshold'), 0, 2147483647);
      if (weight === null || upper === null || lower === null) {
        drop('a weight (0-65535) or threshold is not a number in range');
        continue;
      }
      if (upper > 0 && lower > upper) {
        drop('the lower threshold (-y) is above the upper one (-x): the kernel refuses it');
        continue;
      }
      const rs: RealServer = {
        address: hp.address,
        family: hp.family,
        port: rport,
        forwarding,
        weight,
        upper,
        lower,
        line,
        notes: rnotes,
      };
      const tunOpts = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
      if (forwarding !== 'tun') {
        for (const k of tunOpts)
          if (has(k)) rnotes.push({ line, text: `--${k} does nothing without -i (tunnel)`, dropped: false });
      } else {
        const tt = val('tun-type') ?? 'ipip';
        if (!['ipip', 'gue', 'gre'].includes(tt)) {
          drop(`'${tt}' is not a tunnel type (ipip, gue, gre)`);
          continue;
        }
        if (tt !== 'ipip') rs.tunType = tt;
        const tp = val('tun-port');
        if (tt === 'gue') {
          const n = int(tp, 1, 65535);
          if (n === null) {
            drop('--tun-type gue needs --tun-port (1-65535); ipvsadm refuses it too');
            continue;
          }
          rs.tunPort = n;
        } else if (tp !== undefined)
          rnotes.push({ line, text: `--tun-port does nothing with --tun-type ${tt}`, dropped: false });
        for (const k of ['tun-csum', 'tun-remcsum'])
          if (has(k))
            drop(
              `vrrpd sets no tunnel checksum flags (--${k}): its tunnels carry the kernel default, no checksum (--tun-nocsum)`,
              rnotes,
            );
      }
      if (ridx >= 0) existing.reals[ridx] = rs;
      else existing.reals.push(rs);
    }
  }

  const servers = table.map(toYaml);
  const out: Obj = {};
  if (Object.keys(timeouts).length) out.lvs_timeouts = timeouts;
  out.virtual_servers = servers.map((s) => s.value);

  const comment = (n: IpvsadmNote): string =>
    ` ${n.dropped ? 'not carried over' : 'note'} (line ${n.line}): ${n.text.replace(/\n/g, ' ')}`;
  const doc = new Document(out);
  const put = (path: (string | number)[], notes: IpvsadmNote[]): void => {
    if (notes.length === 0) return;
    const node = doc.getIn(path, true) as Node | undefined;
    if (node) node.commentBefore = notes.map(comment).join('\n');
  };
  const all: IpvsadmNote[] = [...headNotes];
  table.forEach((s, i) => {
    put(['virtual_servers', i], s.notes);
    all.push(...s.notes);
    s.reals.forEach((r, j) => {
      put(['virtual_servers', i, 'real_servers', j], r.notes);
      all.push(...r.notes);
    });
  });
  all.sort((a, b) => a.line - b.line);
  const warnings = all
    .filter((n) => n.dropped)
    .map((n) => `${sourceName}:${n.line}: not carried over: ${n.text.replace(/\n/g, ' ')}`);
  doc.commentBefore = [
    ` vrrpd configuration imported from ${sourceName} (ipvsadm)`,
    ' check it with: vrrpd check-config FILE',
    ' real servers have no health checks here, so each counts as up (as in the hand-kept table)',
    ...(warnings.length
      ? [` ${warnings.length} statement(s) not carried over: see the 'not carried over' comments`]
      : []),
    ...headNotes.map(comment),
  ].join('\n');
  const flowLists = (n: unknown): void => {
    if (isSeq(n) && n.items.every((x) => !isMap(x) && !isSeq(x))) n.flow = true;
    if (isMap(n) || isSeq(n))
      for (const it of n.items) flowLists(isMap(n) ? (it as { value: unknown }).value : it);
  };
  flowLists(doc.contents);
  return { yaml: doc.toString({ lineWidth: 0 }), warnings };
}

/** the most common forwarding of the real servers (ipvsadm's -g when there are none) */
function usualForwarding(reals: RealServer[]): Fwd {
  const count = new Map<Fwd, number>();
  for (const r of reals) count.set(r.forwarding, (count.get(r.forwarding) ?? 0) + 1);
  let best: Fwd = IPVSADM_DEFAULTS.forwarding;
  let n = 0;
  for (const [f, c] of count)
    if (c > n) {
      best = f;
      n = c;
    }
  return best;
}

function toYaml(s: Service): { value: Obj } {
  const fwd = usualForwarding(s.reals);
  const v: Obj = {};
  if (s.fwmark !== undefined) {
    v.fwmark = s.fwmark;
    // ipvsadm's family is IPv4 unless -6; vrrpd's default follows the first real server
    if (s.family === 6 || s.reals[0]?.family === 6) v.family = s.family === 6 ? 'inet6' : 'inet';
  } else {
    v.address = s.address;
    v.port = s.port;
    if (s.proto !== 'tcp') v.protocol = s.proto;
  }
  v.scheduler = s.scheduler;
  // vrrpd's default is nat, ipvsadm's -g (dr): always written
  v.forwarding = fwd;
  if (s.persistenceS !== undefined) {
    v.persistence_timeout = `${s.persistenceS}s`;
    if (s.netmask !== undefined) v.persistence_netmask = s.family === 6 ? Number(s.netmask) : s.netmask;
  }
  if (s.ops) v.ops = true;
  const sched = s.scheduler;
  if (s.flags & 1) v[`${sched}_fallback`] = true;
  if (s.flags & 2) v[`${sched}_port`] = true;
  v.real_servers = s.reals.map((r) => {
    const o: Obj = { address: r.address };
    if (s.fwmark === undefined || r.port !== 0) o.port = r.port;
    if (r.weight !== 1) o.weight = r.weight;
    if (r.forwarding !== fwd) o.forwarding = r.forwarding;
    if (r.tunType !== undefined) o.tun_type = r.tunType;
    if (r.tunPort !== undefined) o.tun_port = r.tunPort;
    if (r.upper) o.upper_threshold = r.upper;
    if (r.lower) o.lower_threshold = r.lower;
    return o;
  });
  return { value: v };
}
