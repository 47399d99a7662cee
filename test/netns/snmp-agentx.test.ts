// vrrpd as an AgentX subagent of the real net-snmp snmpd (global.snmp): snmpd and
// snmptrapd run in a client namespace on its own loopback, r1's vrrpd connects to snmpd's
// AgentX socket (started before snmpd: a warning and retries, not a failure), snmpwalk
// reads the VRRPv3-MIB (RFC 6527) rows, injected bad adverts move the counters and send
// vrrpv3ProtoError, a failover sends vrrpv3NewMaster, a restarted snmpd gets the subagent
// back, and a reload turns the subagent off and on.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { request } from '../../src/control/client.js';
import { parseIp } from '../../src/net/addr.js';
import { encodeAdvert } from '../../src/vrrp/codec.js';
import { missing } from '../helpers/env.js';
import { type Printed, SnmpEngines } from './lib/snmp.js';
import { createLab, instance, type Lab, ROOT, until, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'snmpd', 'snmpwalk', 'snmptrapd'] });
const MIB = '1.3.6.1.2.1.207';
const VIP = '192.0.2.50';
const GROUP = '224.0.0.18';
const INJECT = join(ROOT, 'test/netns/lib/inject.mjs');

const VIP6 = '2001:db8::50';
/** VI (VRID 51, IPv4) and VI6 (VRID 52, IPv6), as r1 (100) and r2 (150) run them */
const instances = (priority: number) => [
  instance({ priority }),
  instance({ name: 'VI6', vrid: 52, priority, virtual_ips: [`${VIP6}/64`] }),
];

const hexOf = (ip: string) =>
  ip
    .split('.')
    .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .join(' ');

describe.skipIf(why)('SNMP: vrrpd as an AgentX subagent of snmpd (VRRPv3-MIB)', () => {
  let lab: Lab;
  let snmp: SnmpEngines;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let idx = '';
  const ops = (col: number) => `.${MIB}.1.1.1.1.${col}.${idx}`;
  const stats = (col: number) => `.${MIB}.1.2.5.1.${col}.${idx}`;
  const r1Config = (snmpOn: boolean) => ({
    global: {
      router_id: 'r1',
      log_level: 'debug',
      control_socket: r1.socket,
      ...(snmpOn ? { snmp: { agentx_socket: snmp.agentx, traps: true } } : {}),
    },
    vrrp_instances: instances(100),
  });
  const printedAt = (rows: Printed[], oid: string) => rows.find((r) => r.oid === oid);
  const connects = () => r1.logged((l) => l.event === 'snmp-connected').length;

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    snmp = new SnmpEngines(lab, 'c');
    await snmp.startTrapd();
    // r1 starts first: snmpd is not there yet
    r1 = await lab.start('r1', {
      global: { log_level: 'debug', snmp: { agentx_socket: snmp.agentx, traps: true } },
      vrrp_instances: instances(100),
    });
    r2 = await lab.start('r2', { vrrp_instances: instances(150) });
    await r2.waitState('VI', 'master', 5000);
    await r1.waitState('VI', 'backup', 5000);
    await r2.waitState('VI6', 'master', 5000);
    await r1.waitState('VI6', 'backup', 5000);
    const link = JSON.parse(await lab.sh('r1', 'ip -j link show dev eth0')) as { ifindex: number }[];
    idx = `${link[0]!.ifindex}.51.1`;
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('snmpd not running at start: a warning and retries, then the subagent connects once it is up', async () => {
    await until(
      async () => r1.logged((l) => l.event === 'snmp-disconnected').length > 0,
      5000,
      'the warning',
    );
    const warn = r1.logged((l) => l.event === 'snmp-disconnected')[0]!;
    expect(warn.level).toBe('warn');
    expect(r1.exitInfo).toBeNull();
    await snmp.startSnmpd();
    await until(async () => connects() === 1, 15_000, 'r1 to register with snmpd');
  });

  it('snmpwalk shows the row: backup, priority, VRID, addresses, modes, interval', async () => {
    const rows = await until(
      async () => {
        const w = await snmp.walk(MIB);
        return printedAt(w, ops(3))?.value.includes(hexOf(lab.topo.host('r2').ipv4)) ? w : null;
      },
      5000,
      'the operations row with r2 as master',
    );
    expect(printedAt(rows, ops(4))?.value).toBe(hexOf(lab.topo.host('r1').ipv4));
    expect(printedAt(rows, ops(5))?.value).toBe('00 00 5E 00 01 33');
    expect(printedAt(rows, ops(6))).toMatchObject({ type: 'INTEGER', value: '2' }); // backup
    expect(printedAt(rows, ops(7))).toMatchObject({ type: 'Gauge32', value: '100' });
    expect(printedAt(rows, ops(8))?.value).toBe('1');
    expect(printedAt(rows, ops(9))?.value).toBe('10'); // 100 ms in centiseconds
    expect(printedAt(rows, ops(10))?.value).toBe('1'); // preempt true(1)
    expect(printedAt(rows, ops(11))?.value).toBe('1'); // accept true(1): the default, as keepalived's
    expect(Number(printedAt(rows, ops(12))?.value)).toBeGreaterThan(0);
    expect(printedAt(rows, `.${MIB}.1.1.2.1.2.${idx}.4.${VIP}`)?.value).toBe('1');
    expect(Number(printedAt(rows, stats(3))?.value)).toBeGreaterThan(0); // adverts from r2
    expect(printedAt(rows, stats(13))?.value).toBe('1000');
    for (const n of [1, 2, 3, 4]) expect(printedAt(rows, `.${MIB}.1.2.${n}.0`), `scalar ${n}`).toBeDefined();
    console.log(`VRRPv3-MIB walk: ${rows.length} objects, row index ${idx}`);
  });

  it('the IPv6 instance: index type ipv6(2), link-local master and primary, the 2001:db8::50 row', async () => {
    const ifindex = idx.split('.')[0];
    const v6 = (col: number) => `.${MIB}.1.1.1.1.${col}.${ifindex}.52.2`;
    const hex16 = (ip: string) =>
      [...(parseIp(ip)?.bytes ?? [])].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    const r2ll = await lab.topo.linkLocal('r2');
    const rows = await until(
      async () => {
        const w = await snmp.walk(MIB);
        return printedAt(w, v6(3))?.value === hex16(r2ll) ? w : null;
      },
      5000,
      "the IPv6 row with r2's link-local address as master",
    );
    expect(printedAt(rows, v6(4))?.value).toBe(hex16(await lab.topo.linkLocal('r1')));
    expect(printedAt(rows, v6(5))?.value).toBe('00 00 5E 00 02 34');
    expect(printedAt(rows, v6(6))?.value).toBe('2');
    const addr = [...parseIp(VIP6)!.bytes].join('.');
    expect(printedAt(rows, `.${MIB}.1.1.2.1.2.${ifindex}.52.2.16.${addr}`)?.value).toBe('1');
  });

  it('injected bad adverts move the counters; a TTL error sends vrrpv3ProtoError(ipTtlError)', async () => {
    const before = await snmp.walk(MIB);
    const n = (rows: Printed[], oid: string) => Number(printedAt(rows, oid)?.value ?? Number.NaN);
    const src = lab.topo.host('c').ipv4;
    const advert = (vrid: number) =>
      encodeAdvert(
        { version: 3, type: 1, vrid, priority: 254, maxAdvertIntervalCs: 10, addresses: [VIP] },
        { family: 4, srcAddress: src, dstAddress: GROUP },
      ).toString('hex');
    const packets = [
      ...Array.from({ length: 3 }, () => ({ hex: advert(51), dst: GROUP, ttl: 254 })),
      ...Array.from({ length: 2 }, () => ({ hex: advert(99), dst: GROUP, ttl: 255 })),
    ];
    await lab.topo.exec('c', [
      process.execPath,
      INJECT,
      JSON.stringify({ family: 4, ifname: 'eth0', packets }),
    ]);
    const after = await until(
      async () => {
        const w = await snmp.walk(MIB);
        return n(w, stats(5)) === n(before, stats(5)) + 3 &&
          n(w, `.${MIB}.1.2.3.0`) === n(before, `.${MIB}.1.2.3.0`) + 2
          ? w
          : null;
      },
      8000,
      'vrrpv3StatisticsIpTtlErrors +3 and vrrpv3RouterVrIdErrors +2',
    );
    expect(printedAt(after, stats(6))?.value).toBe('1'); // vrrpv3StatisticsProtoErrReason ipTtlError(1)
    const trap = await until(
      async () => snmp.trapsOf(`${MIB}.0.2`).find((t) => printedAt(t, stats(6))),
      5000,
      'a vrrpv3ProtoError trap for VI',
    );
    expect(printedAt(trap, stats(6))?.value).toBe('1');
  });

  it('failover: SIGKILL of the master makes r1 master; the walk and a vrrpv3NewMaster trap say so', async () => {
    const transitions = Number(printedAt(await snmp.walk(MIB), stats(1))?.value);
    r2.signal('SIGKILL');
    await r1.waitState('VI', 'master', 5000);
    const trap = await until(
      async () => snmp.trapsOf(`${MIB}.0.1`).find((t) => printedAt(t, ops(3))),
      5000,
      'a vrrpv3NewMaster trap for VI',
    );
    expect(printedAt(trap, ops(3))?.value).toBe(hexOf(lab.topo.host('r1').ipv4));
    expect(printedAt(trap, stats(2))?.value).toBe('3'); // masterNoResponse(3)
    const rows = await until(
      async () => {
        const w = await snmp.walk(MIB);
        return printedAt(w, ops(6))?.value === '3' ? w : null;
      },
      5000,
      'vrrpv3OperationsStatus master(3)',
    );
    expect(printedAt(rows, ops(3))?.value).toBe(hexOf(lab.topo.host('r1').ipv4));
    // vrrpv3StatisticsMasterTransitions (r1 was master alone before r2 started, too)
    expect(Number(printedAt(rows, stats(1))?.value)).toBe(transitions + 1);
    expect(printedAt(rows, stats(2))?.value).toBe('3');
  });

  it('snmpd restarted: the subagent reconnects and the rows are back', async () => {
    const before = connects();
    await snmp.stopSnmpd();
    await until(
      async () => r1.logged((l) => l.event === 'snmp-disconnected' && l.level === 'warn').length >= 2,
      5000,
      'r1 to notice snmpd went away',
    );
    await snmp.startSnmpd();
    await until(async () => connects() > before, 20_000, 'r1 to register again');
    const rows = await until(
      async () => {
        const w = await snmp.walk(MIB);
        return printedAt(w, ops(6)) ? w : null;
      },
      5000,
      'the row after the restart',
    );
    expect(printedAt(rows, ops(6))?.value).toBe('3');
    expect(r1.exitInfo).toBeNull();
  });

  it('reload: removing global.snmp takes the subtree away, adding it back serves it again', async () => {
    writeFileSync(r1.configPath, stringify(r1Config(false)));
    const off = (await request(r1.socket, 'reload', {}, 10_000)) as { ok: boolean; summary: string };
    expect(off.ok, JSON.stringify(off)).toBe(true);
    expect(off.summary).toContain('snmp off');
    await until(async () => (await snmp.walk(MIB)).length === 0, 5000, 'the subtree to disappear');
    const before = connects();
    writeFileSync(r1.configPath, stringify(r1Config(true)));
    const on = (await request(r1.socket, 'reload', {}, 10_000)) as { ok: boolean; summary: string };
    expect(on.summary).toMatch(/snmp agentx unix:.*agentx, traps on/);
    await until(async () => connects() > before, 10_000, 'r1 to register again');
    await until(async () => printedAt(await snmp.walk(MIB), ops(6)), 5000, 'the row again');
  });
});
