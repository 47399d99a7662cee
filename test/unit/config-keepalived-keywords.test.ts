// Every keyword keepalived 2.2.7 knows (src/config/keepalived-keywords.ts, written from
// keepalived.conf(5) of 2.2.7), put in its block: the import must either carry it over (the
// YAML changes) or say something about its line (a 'not carried over' or 'note' comment).
// A keyword that imports with neither is a silent path and fails here.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import { KEEPALIVED_KEYWORDS } from '../../src/config/keepalived-keywords.js';
import { inCI, missing } from '../helpers/env.js';

const INSTANCE =
  'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.10/24\n }\n';
const SERVER = 'virtual_server 192.0.2.10 80 {\n lb_algo rr\n';

/** the file around the keyword: text before its line, text after */
const CONTEXT: Record<string, [string, string]> = {
  'the top level': ['', ''],
  global_defs: ['global_defs {\n', `}\n${INSTANCE}}\n`],
  vrrp_script: [`${INSTANCE} track_script {\n chk\n }\n}\nvrrp_script chk {\n script /bin/true\n`, '}\n'],
  vrrp_sync_group: [`${INSTANCE}}\nvrrp_sync_group G {\n group {\n VI_1\n }\n`, '}\n'],
  vrrp_instance: [INSTANCE, '}\n'],
  authentication: [`${INSTANCE} authentication {\n`, ' }\n}\n'],
  auth_hmac: [`${INSTANCE} auth_hmac {\n key 1 hex:${'ab'.repeat(32)}\n active_key 1\n`, ' }\n}\n'],
  virtual_server: [SERVER, ' real_server 198.51.100.1 80 {\n }\n}\n'],
  real_server: [`${SERVER} real_server 198.51.100.1 80 {\n`, ' }\n}\n'],
  HTTP_GET: [`${SERVER} real_server 198.51.100.1 80 {\n HTTP_GET {\n url {\n path /\n }\n`, ' }\n }\n}\n'],
  SSL_GET: [`${SERVER} real_server 198.51.100.1 80 {\n SSL_GET {\n url {\n path /\n }\n`, ' }\n }\n}\n'],
  TCP_CHECK: [`${SERVER} real_server 198.51.100.1 80 {\n TCP_CHECK {\n`, ' }\n }\n}\n'],
  MISC_CHECK: [
    `${SERVER} real_server 198.51.100.1 80 {\n MISC_CHECK {\n misc_path /bin/true\n`,
    ' }\n }\n}\n',
  ],
  url: [`${SERVER} real_server 198.51.100.1 80 {\n HTTP_GET {\n url {\n path /\n`, ' }\n }\n }\n}\n'],
  virtual_server_group: [
    'virtual_server_group G {\n 192.0.2.10 80\n',
    '}\nvirtual_server group G {\n lb_algo rr\n real_server 198.51.100.1 80 {\n }\n}\n',
  ],
  SMTP_CHECK: [`${SERVER} real_server 198.51.100.1 80 {\n SMTP_CHECK {\n`, ' }\n }\n}\n'],
  DNS_CHECK: [`${SERVER} real_server 198.51.100.1 80 {\n DNS_CHECK {\n`, ' }\n }\n}\n'],
  UDP_CHECK: [`${SERVER} real_server 198.51.100.1 80 {\n UDP_CHECK {\n`, ' }\n }\n}\n'],
  PING_CHECK: [`${SERVER} real_server 198.51.100.1 80 {\n PING_CHECK {\n`, ' }\n }\n}\n'],
  FILE_CHECK: [
    `track_file f {\n file /tmp/f\n weight 0\n}\n${SERVER} real_server 198.51.100.1 80 {\n FILE_CHECK {\n`,
    ' }\n }\n}\n',
  ],
  track_file: [
    `${SERVER} real_server 198.51.100.1 80 {\n FILE_CHECK {\n track_file f\n }\n }\n}\ntrack_file f {\n`,
    ' file /tmp/f\n weight 0\n}\n',
  ],
};

const BLOCK = (...lines: string[]): string => `{\n${lines.join('\n')}\n }`;
/** arguments that make the keyword mean something; the default is 1 */
const ARGS: Record<string, string> = {
  global_defs: BLOCK('router_id x'),
  vrrp_script: `chk2 ${BLOCK('script /bin/true')}`,
  vrrp_sync_group: `G2 ${BLOCK('group {', 'VI_9', '}')}`,
  vrrp_instance: `VI_9 ${BLOCK('interface eth0', 'virtual_router_id 9', 'virtual_ipaddress {', '192.0.2.9', '}')}`,
  virtual_server: `192.0.2.99 80 ${BLOCK('real_server 198.51.100.1 80 {', '}')}`,
  virtual_server_group: `G ${BLOCK('192.0.2.10 80')}`,
  include: '/nonexistent/*.conf',
  includer: '/nonexistent/*.conf',
  includem: '/nonexistent/*.conf',
  includew: '/nonexistent/*.conf',
  includeb: '/nonexistent/*.conf',
  includea: '/nonexistent/*.conf',
  notification_email: BLOCK('ops@example.test'),
  linkbeat_interfaces: BLOCK('eth0'),
  interface_up_down_delays: BLOCK('eth0 1'),
  track_group: `G ${BLOCK('group {', 'VI_1', '}')}`,
  static_ipaddress: BLOCK('192.0.2.200/24 dev eth0'),
  static_routes: BLOCK('198.51.100.0/24 via 192.0.2.1'),
  static_rules: BLOCK('from 192.0.2.0/24 table 1'),
  track_file: `f ${BLOCK('file /tmp/f')}`,
  vrrp_track_file: `f ${BLOCK('file /tmp/f')}`,
  vrrp_track_process: `p ${BLOCK('process haproxy')}`,
  bfd_instance: `b ${BLOCK('neighbor_ip 192.0.2.2')}`,
  garp_group: BLOCK('garp_interval 1', 'interface eth0'),
  SSL: BLOCK('ca /etc/ssl/ca.pem'),
  router_id: 'lb9',
  script_user: 'nobody',
  vrrp_version: '3',
  lvs_sync_daemon: 'eth0 VI_1',
  lvs_timeouts: 'tcp 10',
  vrrp_min_garp: 'true',
  group: BLOCK('VI_1'),
  track_interface: BLOCK('eth1'),
  track_script: BLOCK('chk'),
  track_file_: '',
  track_process: BLOCK('p'),
  track_bfd: BLOCK('b'),
  notify: '/bin/true',
  notify_master: '/bin/true',
  notify_backup: '/bin/true',
  notify_fault: '/bin/true',
  notify_stop: '/bin/true',
  notify_deleted: '/bin/true',
  notify_master_rx_lower_pri: '/bin/true',
  notify_up: '/bin/true',
  notify_down: '/bin/true',
  quorum_up: '/bin/true',
  quorum_down: '/bin/true',
  script: '/bin/false',
  misc_path: '/bin/false',
  user: 'nobody',
  state: 'BACKUP',
  interface: 'eth9',
  virtual_router_id: '77',
  priority: '77',
  version: '3',
  advert_int: '2',
  unicast_src_ip: '192.0.2.1',
  mcast_src_ip: '192.0.2.1',
  unicast_peer: BLOCK('192.0.2.2'),
  virtual_ipaddress: BLOCK('192.0.2.77'),
  virtual_ipaddress_excluded: BLOCK('2001:db8::1'),
  virtual_routes: BLOCK('198.51.100.0/24 via 192.0.2.1'),
  virtual_rules: BLOCK('from 192.0.2.0/24 table 1'),
  authentication: BLOCK('auth_type PASS', 'auth_pass x'),
  auth_type: 'AH',
  key: `2 hex:${'cd'.repeat(32)}`,
  mode: 'permissive',
  active_key: '2',
  anti_replay: 'monotonic',
  time_window: '10',
  auth_pass: 'secret',
  use_vmac: '',
  accept: '',
  no_accept: '',
  nopreempt: '',
  preempt: '',
  native_ipv6: '',
  lvs_sched: 'wrr',
  lb_algo: 'wrr',
  lvs_method: 'DR',
  lb_kind: 'DR',
  protocol: 'UDP',
  persistence_granularity: '255.255.255.0',
  ip_family: 'inet',
  sorry_server: '198.51.100.9 80',
  sorry_server_lvs_method: 'DR',
  virtualhost: 'www.example.test',
  real_server: `198.51.100.2 80 ${BLOCK('weight 1')}`,
  HTTP_GET: BLOCK('url {', 'path /', '}'),
  SSL_GET: BLOCK('url {', 'path /', '}'),
  TCP_CHECK: BLOCK(''),
  MISC_CHECK: BLOCK('misc_path /bin/true'),
  SMTP_CHECK: BLOCK(''),
  DNS_CHECK: BLOCK(''),
  UDP_CHECK: BLOCK(''),
  PING_CHECK: BLOCK(''),
  FILE_CHECK: BLOCK('track_file f'),
  BFD_CHECK: BLOCK('name b'),
  url: BLOCK('path /other'),
  path: '/other',
  digest: '9b3a0c85a887a256d6939da88aabd8cd',
  status_code: '201',
  regex: 'ok',
  connect_ip: '198.51.100.7',
  bindto: '192.0.2.1',
  bind_if: 'eth0',
  http_protocol: '1.1',
  inhibit_on_failure: '',
  alpha: '',
  omega: '',
  ops: '',
  ha_suspend: '',
  sorry_server_inhibit: '',
  'sh-port': '',
  'sh-fallback': '',
  'mh-port': '',
  'mh-fallback': '',
  'flag-1': '',
  'flag-2': '',
  'flag-3': '',
  smtp_alert: '',
  enable_sni: '',
  regex_no_match: '',
  misc_dynamic: '',
  fast_recovery: '',
  init_fail: '',
  persistence_timeout: '',
};

function imported(context: string, line: string): { yaml: string; lineNo: number } {
  const [before, after] = CONTEXT[context]!;
  const lineNo = before.split('\n').length;
  return { yaml: importKeepalivedConf(`${before} ${line}\n${after}`).yaml, lineNo };
}

describe('every keepalived 2.2.7 keyword is carried over or flagged', () => {
  for (const [context, keywords] of Object.entries(KEEPALIVED_KEYWORDS)) {
    it(`${context}: ${keywords.length} keywords`, () => {
      const baseline = imported(context, '').yaml;
      const silent: string[] = [];
      for (const k of keywords) {
        const { yaml, lineNo } = imported(context, `${k} ${ARGS[k] ?? '1'}`);
        const said = yaml.includes(`(line ${lineNo})`);
        if (!said && yaml === baseline) silent.push(k);
      }
      expect(silent, `imported with neither a mapping nor a flag in ${context}`).toEqual([]);
    });
  }

  it('a word keepalived does not know is flagged as such in every block', () => {
    for (const context of Object.keys(CONTEXT)) {
      const { yaml, lineNo } = imported(context, 'no_such_keyword 1');
      expect(yaml, context).toContain(`# not carried over (line ${lineNo}): 'no_such_keyword 1' because`);
      expect(yaml, context).toContain('is not a keepalived 2.2 keyword');
    }
  });
});

describe("the keyword table is keepalived.conf(5)'s", () => {
  it('every keyword the installed man page shows in these blocks is in the table', (ctx) => {
    const why = missing({ commands: ['man', 'keepalived'] });
    if (why) return ctx.skip(why);
    let text: string;
    try {
      text = execFileSync('man', ['-P', 'cat', 'keepalived.conf'], {
        encoding: 'utf8',
        env: { ...process.env, MANWIDTH: '200' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (e) {
      if (inCI) throw e;
      return ctx.skip('no keepalived.conf(5) man page');
    }
    // the configuration examples: indented `keyword ...` lines and `NAME ... {` blocks
    const found: Record<string, Set<string>> = {};
    const stack: string[] = [];
    for (const raw of text.split('\n')) {
      const l = raw.trim();
      if (l === '' || l.startsWith('#')) continue;
      if (l === '}') {
        stack.pop();
        continue;
      }
      const m = /^([A-Za-z][A-Za-z0-9_-]*)(\s|$)/.exec(l);
      if (!m || !/^\s{6,}/.test(raw)) continue;
      const ctxName = stack.at(-1) ?? 'top';
      found[ctxName] ??= new Set();
      found[ctxName].add(m[1]!);
      if (l.endsWith('{')) stack.push(m[1]!);
    }
    const noise = new Set(['For', 'be', 'or', 'CHECKER_TYPE']);
    const missingFromTable: string[] = [];
    for (const block of [
      'global_defs',
      'vrrp_script',
      'vrrp_sync_group',
      'vrrp_instance',
      'virtual_server',
    ]) {
      for (const k of found[block] ?? []) {
        // upper-case words are checker blocks, which the man page lays out under real_server
        // with a `}` that its text does not open
        if (noise.has(k) || /^[A-Z_]+$/.test(k)) continue;
        // the man page lists it, keepalived 2.2.7's parser reports it as an unknown keyword
        if (block === 'vrrp_sync_group' && k === 'notify_deleted') continue;
        if (!KEEPALIVED_KEYWORDS[block]!.includes(k)) missingFromTable.push(`${block} ${k}`);
      }
    }
    expect(found.global_defs?.size ?? 0).toBeGreaterThan(100);
    expect(missingFromTable).toEqual([]);
  });
});
