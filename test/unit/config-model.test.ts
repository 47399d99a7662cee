// The model built from valid YAML: defaults, durations, families, keys, freezing, diff.
import { describe, expect, it } from 'vitest';
import {
  type Config,
  diffConfig,
  formatDurationMs,
  parseConfigText,
  parseDurationMs,
} from '../../src/config/index.js';

function load(text: string): Config {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'testhost' });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.config;
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

const minimal = lines(
  'vrrp_instances:',
  '  - name: VI_1',
  '    interface: eth0',
  '    vrid: 51',
  '    virtual_ips: [192.0.2.50/24]',
);

describe('durations', () => {
  it.each([
    ['10ms', 10],
    ['1s', 1000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['0.25', 250],
    [3, 3000],
    [0.1, 100],
    ['2 s', 2000],
  ])('%s → %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 's', '1x', '-1s', '1.s', 'one', '1e3'])('%s is not a duration', (text) => {
    expect(parseDurationMs(text)).toBeNull();
  });

  it('formats back to the shortest exact text', () => {
    expect([0, 10, 1000, 1500, 120_000, 3_600_000, 61_000].map(formatDurationMs)).toEqual([
      '0s',
      '10ms',
      '1s',
      '1.5s',
      '2m',
      '1h',
      '61s',
    ]);
  });
});

describe('defaults', () => {
  it('fills every default of a minimal instance', () => {
    const c = load(minimal);
    expect(c.global).toEqual({
      routerId: 'testhost',
      dynamicInterfaces: false,
      vrrpStartupDelayMs: 0,
      controlSocket: '/run/vrrpd/vrrpd.sock',
      stateFile: '/var/lib/vrrpd/ipvs-owned.json',
      logLevel: 'info',
      notifyTimeoutMs: 10_000,
      scriptTimeoutMs: 5000,
      announce: null,
    });
    expect(c.vrrpInstances[0]).toEqual({
      name: 'VI_1',
      interface: 'eth0',
      vrid: 51,
      version: 3,
      family: 4,
      priority: 100,
      advertIntervalMs: 1000,
      preempt: true,
      preemptDelayMs: 0,
      accept: true,
      useVmac: false,
      unicastPeers: [],
      virtualIps: [{ address: '192.0.2.50', prefixLength: 24, family: 4, noTrack: false, inAdverts: true }],
      trackInterfaces: [],
      trackScripts: [],
      garp: {
        repeat: 5,
        intervalMs: 0,
        delayMs: 5000,
        refreshMs: 0,
        refreshRepeat: 1,
        lowerPrioRepeat: 5,
        lowerPrioDelayMs: 5000,
        extraIfMs: 0,
      },
      notify: {},
      dontTrackPrimary: false,
      v3ChecksumIpv4PseudoHeader: true,
      unicastTtl: 255,
      unicastTtlWindows: [],
      unicastFaultNoPeer: false,
      higherPrioSendAdvert: false,
      lowerPrioNoAdvert: false,
      downTimerAdverts: 3,
      virtualRoutes: [],
      virtualRules: [],
    });
    expect(c.vrrpScripts).toEqual({});
    expect(c.vrrpSyncGroups).toEqual([]);
    expect(c.virtualServers).toEqual([]);
    expect(c.lvsSyncDaemon).toBeUndefined();
    expect(c.lvsTimeouts).toEqual({});
  });

  it('vrrp_script defaults; timeout falls back to global.script_timeout', () => {
    const c = load(lines('global: {script_timeout: 3s}', 'vrrp_scripts:', '  chk: {command: [/bin/true]}'));
    expect(c.vrrpScripts.chk).toEqual({
      name: 'chk',
      command: ['/bin/true'],
      intervalMs: 1000,
      timeoutMs: 3000,
      weight: 0,
      rise: 1,
      fall: 1,
      reverse: false,
    });
  });

  it('virtual server, real server and check defaults', () => {
    const c = load(
      lines(
        'virtual_servers:',
        '  - address: 192.0.2.50',
        '    port: 80',
        '    virtualhost: www.example.test',
        '    check_defaults: {interval: 5s}',
        '    real_servers:',
        '      - address: 198.51.100.2',
        '        port: 8080',
        '        check: {type: http, rise: 3}',
        '      - address: 198.51.100.3',
        '        port: 8080',
      ),
    );
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({
      key: 'tcp:192.0.2.50:80',
      address: '192.0.2.50',
      port: 80,
      protocol: 'tcp',
      family: 4,
      scheduler: 'wlc',
      forwarding: 'nat',
      persistenceTimeoutS: 0,
      persistencePrefixLength: 32,
      flags: { ops: false, shFallback: false, shPort: false, mhFallback: false, mhPort: false },
      quorum: 1,
      hysteresis: 0,
      alpha: false,
    });
    expect(vs.realServers[0]).toEqual({
      key: '198.51.100.2:8080',
      address: '198.51.100.2',
      family: 4,
      port: 8080,
      weight: 1,
      forwarding: 'nat',
      inhibitOnFailure: false,
      upperThreshold: 0,
      lowerThreshold: 0,
      check: {
        type: 'http',
        intervalMs: 5000,
        timeoutMs: 1000,
        rise: 3,
        fall: 1,
        retry: 1,
        retryDelayMs: 1000,
        port: 8080,
        connectTimeoutMs: 1000,
        path: '/',
        status: [200],
        host: 'www.example.test',
        tlsVerify: false,
      },
    });
    expect(vs.realServers[1]!.check).toBeUndefined();
  });

  it('lvs_sync_daemon sync_id defaults to the vrid of its instance', () => {
    const c = load(minimal.concat('lvs_sync_daemon: {interface: eth1, instance: VI_1}\n'));
    expect(c.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 51 });
  });
});

describe('addresses and families', () => {
  it('the first VIP sets the family; the other family is kept out of adverts', () => {
    const c = load(
      lines(
        'vrrp_instances:',
        '  - name: VI_6',
        '    interface: eth0',
        '    vrid: 1',
        '    virtual_ips:',
        '      - 2001:DB8:0:0::50/64',
        '      - 192.0.2.9/32 dev eth1 label eth1:vip',
        '      - {address: 2001:db8::51, dev: eth2}',
      ),
    );
    const i = c.vrrpInstances[0]!;
    expect(i.family).toBe(6);
    expect(i.virtualIps).toEqual([
      { address: '2001:db8::50', prefixLength: 64, family: 6, noTrack: false, inAdverts: true },
      {
        address: '192.0.2.9',
        prefixLength: 32,
        family: 4,
        dev: 'eth1',
        label: 'eth1:vip',
        noTrack: false,
        inAdverts: false,
      },
      { address: '2001:db8::51', prefixLength: 128, family: 6, dev: 'eth2', noTrack: false, inAdverts: true },
    ]);
  });

  it('a VRRPv2 instance may carry IPv6 VIPs that are not advertised', () => {
    const c = load(
      lines(
        'vrrp_instances:',
        '  - {name: A, interface: eth0, vrid: 1, version: 2, auth_pass: s3cret, virtual_ips: [192.0.2.1, 2001:db8::1]}',
      ),
    );
    expect(c.vrrpInstances[0]!.virtualIps.map((v) => v.inAdverts)).toEqual([true, false]);
    expect(c.vrrpInstances[0]!.authPass).toBe('s3cret');
  });

  it('unicast addresses are canonical', () => {
    const c = load(
      lines(
        'vrrp_instances:',
        '  - {name: A, interface: eth0, vrid: 1, virtual_ips: [2001:db8::1], unicast_src: 2001:DB8::A, unicast_peers: [2001:db8:0::b]}',
      ),
    );
    expect(c.vrrpInstances[0]).toMatchObject({ unicastSrc: '2001:db8::a', unicastPeers: ['2001:db8::b'] });
  });

  it('track interfaces and scripts in both forms', () => {
    const c = load(
      lines(
        'vrrp_scripts: {chk: {command: [x], weight: -10}}',
        'vrrp_instances:',
        '  - name: A',
        '    interface: eth0',
        '    vrid: 1',
        '    virtual_ips: [192.0.2.1]',
        '    track_interfaces: [eth1, {interface: eth2, weight: -30}]',
        '    track_scripts: [{name: chk, weight: -5}]',
      ),
    );
    expect(c.vrrpInstances[0]!.trackInterfaces).toEqual([
      { interface: 'eth1', weight: 0, reverse: false },
      { interface: 'eth2', weight: -30, reverse: false },
    ]);
    expect(c.vrrpInstances[0]!.trackScripts).toEqual([{ name: 'chk', weight: -5 }]);
  });

  it('v3 advert intervals in 10 ms steps, v2 in seconds', () => {
    const at = (v: string, ver: number): number =>
      load(
        lines(
          'vrrp_instances:',
          `  - {name: A, interface: eth0, vrid: 1, version: ${ver}, advert_interval: ${v}, virtual_ips: [192.0.2.1]}`,
        ),
      ).vrrpInstances[0]!.advertIntervalMs;
    expect(at('10ms', 3)).toBe(10);
    expect(at('40.95s', 3)).toBe(40_950);
    expect(at('0.1', 3)).toBe(100);
    expect(at('1', 2)).toBe(1000);
    expect(at('255s', 2)).toBe(255_000);
  });
});

describe('virtual server keys and options', () => {
  it('keys for IPv6 services and fwmarks; fwmark family from the real servers', () => {
    const c = load(
      lines(
        'virtual_servers:',
        '  - {address: 2001:db8::50, port: 53, protocol: udp, ops: true, persistence_netmask: 64, persistence_timeout: 1m}',
        '  - {fwmark: 10, real_servers: [{address: 2001:db8::2, check: {type: tcp, port: 443}}]}',
        '  - {fwmark: 10, family: inet}',
        '  - {address: 192.0.2.1, port: 0, persistence_timeout: 300, persistence_netmask: 255.255.255.0, scheduler: sh, sh_port: true}',
      ),
    );
    const [a, b, c3, d] = c.virtualServers;
    expect(a).toMatchObject({
      key: 'udp:[2001:db8::50]:53',
      family: 6,
      persistencePrefixLength: 64,
      persistenceTimeoutS: 60,
    });
    expect(a!.flags.ops).toBe(true);
    expect(b).toMatchObject({ key: 'fwmark:10:6', fwmark: 10, family: 6 });
    expect(b!.realServers[0]).toMatchObject({
      key: '[2001:db8::2]:0',
      port: 0,
      check: { type: 'tcp', port: 443 },
    });
    expect(c3!.key).toBe('fwmark:10:4');
    expect(d).toMatchObject({ key: 'tcp:192.0.2.1:0', persistencePrefixLength: 24, flags: { shPort: true } });
  });

  it('sorry server, tunnels, thresholds, notify scripts, checks', () => {
    const c = load(
      lines(
        'virtual_servers:',
        '  - address: 192.0.2.50',
        '    port: 443',
        '    forwarding: dr',
        '    sorry_server: {address: 198.51.100.99}',
        '    quorum_down: [/bin/page, down]',
        '    real_servers:',
        '      - {address: 198.51.100.2, port: 443, forwarding: tun, tun_type: gue, tun_port: 6080, upper_threshold: 100, lower_threshold: 50}',
        '      - address: 198.51.100.3',
        '        port: 443',
        '        notify_down: [/bin/echo, down]',
        '        check: {type: https, tls_verify: true, digest: 0123456789ABCDEF0123456789abcdef, connect_timeout: 300ms, bind_address: 192.0.2.7}',
        '      - address: 198.51.100.4',
        '        port: 443',
        '        check: {type: tcp, send: "PING\\r\\n", expect: PONG}',
      ),
    );
    const vs = c.virtualServers[0]!;
    expect(vs.sorryServer).toEqual({ address: '198.51.100.99', port: 443, forwarding: 'dr', inhibit: false });
    expect(vs.quorumDown).toEqual(['/bin/page', 'down']);
    expect(vs.realServers[0]).toMatchObject({
      forwarding: 'tun',
      tunnel: { type: 'gue', port: 6080 },
      upperThreshold: 100,
    });
    expect(vs.realServers[1]).toMatchObject({
      forwarding: 'dr',
      notifyDown: ['/bin/echo', 'down'],
      check: {
        type: 'https',
        tlsVerify: true,
        digest: { algorithm: 'md5', hex: '0123456789abcdef0123456789abcdef' },
        connectTimeoutMs: 300,
        bindAddress: '192.0.2.7',
      },
    });
    expect(vs.realServers[2]!.check).toMatchObject({ type: 'tcp', send: 'PING\r\n', expect: 'PONG' });
  });

  it('lvs_timeouts in seconds', () => {
    expect(load(lines('lvs_timeouts: {tcp: 15m, tcp_fin: 120, udp: 5m}')).lvsTimeouts).toEqual({
      tcpS: 900,
      tcpFinS: 120,
      udpS: 300,
    });
  });
});

describe('frozen model', () => {
  it('is frozen all the way down', () => {
    const c = load(minimal);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.vrrpInstances)).toBe(true);
    expect(Object.isFrozen(c.vrrpInstances[0]!.virtualIps[0])).toBe(true);
    expect(Object.isFrozen(c.vrrpInstances[0]!.garp)).toBe(true);
    expect(() => {
      (c.vrrpInstances[0] as { priority: number }).priority = 1;
    }).toThrow(TypeError);
  });
});

describe('diffConfig', () => {
  it('sorts instances and virtual servers into added, removed, changed, unchanged', () => {
    const before = load(
      lines(
        'vrrp_instances:',
        '  - {name: A, interface: eth0, vrid: 1, virtual_ips: [192.0.2.1]}',
        '  - {name: B, interface: eth0, vrid: 2, virtual_ips: [192.0.2.2]}',
        '  - {name: C, interface: eth0, vrid: 3, virtual_ips: [192.0.2.3]}',
        'virtual_servers:',
        '  - {address: 192.0.2.1, port: 80}',
        '  - {address: 192.0.2.1, port: 443}',
      ),
    );
    const after = load(
      lines(
        '# comments and key order do not matter',
        'virtual_servers:',
        '  - {port: 80, address: 192.0.2.1}',
        '  - {address: 192.0.2.1, port: 443, scheduler: rr}',
        '  - {address: 192.0.2.1, port: 8080}',
        'vrrp_instances:',
        '  - {name: A, interface: eth0, vrid: 1, virtual_ips: [192.0.2.1]}',
        '  - {name: B, interface: eth0, vrid: 2, priority: 200, virtual_ips: [192.0.2.2]}',
        '  - {name: D, interface: eth0, vrid: 4, virtual_ips: [192.0.2.4]}',
      ),
    );
    const d = diffConfig(before, after);
    expect(d.vrrp.instances).toEqual({ added: ['D'], removed: ['C'], changed: ['B'], unchanged: ['A'] });
    expect(d.lvs.virtualServers).toEqual({
      added: ['tcp:192.0.2.1:8080'],
      removed: [],
      changed: ['tcp:192.0.2.1:443'],
      unchanged: ['tcp:192.0.2.1:80'],
    });
    expect(d.global).toEqual({ logLevelChanged: false, routerIdChanged: false });
    expect(d.control).toEqual({ socketChanged: false, metricsChanged: false, snmpChanged: false });
    expect(diffConfig(before, before).vrrp.instances.unchanged).toEqual(['A', 'B', 'C']);
  });
});
