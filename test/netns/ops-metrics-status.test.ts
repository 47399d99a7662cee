// Metrics and `vrrpd status` on a live pair of real daemons: the table and --json show
// state, priority, master address and VIPs; an unreachable socket exits 2 with one line;
// --watch repeats and ends cleanly on SIGINT. /metrics (metrics_listen 127.0.0.1 inside
// each router's namespace, scraped with curl there) carries the vrrpd_ instance state,
// priorities, transitions, adverts and drop counters with the right values, also right
// after injected bad packets and right after a failover (fresh per scrape).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import type { InstanceStatus, Snapshot } from '../../src/control/snapshot.js';
import { type EncodableAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { missing } from '../helpers/env.js';
import { CLI, cli, createLab, instance, type Lab, ROOT, sleep, type Vrrpd } from './lib/vrrpd.js';

const why = missing({ root: true, commands: ['ip', 'curl'] });
const VIP = '192.0.2.50';
const GROUP = '224.0.0.18';
const PORT = 9650;
const INJECT = join(ROOT, 'test/netns/lib/inject.mjs');

/** Prometheus text → samples; labels kept as the raw `{...}` text. */
function parseMetrics(text: string): { name: string; labels: string; value: number }[] {
  const out: { name: string; labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out.push({ name: m[1] ?? '', labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}

describe.skipIf(why)('vrrpd status and /metrics on a live pair', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let ip1 = '';

  async function scrape(host: string) {
    const text = await lab.sh(host, `curl -sS --max-time 5 http://127.0.0.1:${PORT}/metrics`);
    const samples = parseMetrics(text);
    /** The value of name whose labels include every given label; undefined if absent. */
    const get = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels.includes(`${k}="${v}"`)),
      )?.value;
    return { text, samples, get };
  }

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'c']);
    ip1 = lab.topo.host('r1').ipv4;
    const cfg = (priority: number) => ({
      global: { metrics_listen: `127.0.0.1:${PORT}` },
      vrrp_instances: [instance({ priority })],
    });
    // one after the other: started together, r2 may win the first election for a moment,
    // and the exact transition counts below would be off by that flap
    r1 = await lab.start('r1', cfg(150));
    await r1.waitState('VI', 'master', 5000);
    r2 = await lab.start('r2', cfg(100));
    await r2.waitState('VI', 'backup', 3000);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('status (table): state, priority, master address and VIPs on both routers', async () => {
    const a = await cli(lab, 'r1', ['status', '-s', r1.socket]);
    expect(a.code, a.stderr).toBe(0);
    const row1 = a.stdout.split('\n').find((l) => l.startsWith('VI '));
    expect(row1, a.stdout).toMatch(
      /VI\s+eth0\s+51\s+v3\s+MASTER\s+150\s+150\s+this router\s+.*192\.0\.2\.50\/24/,
    );
    expect(a.stdout).toMatch(/^vrrpd \S+ on r1: pid \d+/);
    const b = await cli(lab, 'r2', ['status', '-s', r2.socket]);
    expect(b.code, b.stderr).toBe(0);
    const row2 = b.stdout.split('\n').find((l) => l.startsWith('VI '));
    // the backup names the master and its priority; its VIP is not on the device
    expect(row2, b.stdout).toMatch(
      new RegExp(`VI\\s+eth0\\s+51\\s+v3\\s+BACKUP\\s+100\\s+100\\s+${ip1.replace(/\./g, '\\.')} \\(150\\)`),
    );
    expect(row2).toContain('192.0.2.50/24 (absent)');
  });

  it('status --json: the versioned document with the same facts', async () => {
    const docs: [Vrrpd, Snapshot][] = [];
    for (const d of [r1, r2]) {
      const r = await cli(lab, d.host, ['status', '--json', '-s', d.socket]);
      expect(r.code, r.stderr).toBe(0);
      docs.push([d, JSON.parse(r.stdout) as Snapshot]);
    }
    const vi = (s: Snapshot) => s.instances.find((i) => i.name === 'VI') as InstanceStatus;
    const [[, s1], [, s2]] = docs as [[Vrrpd, Snapshot], [Vrrpd, Snapshot]];
    expect(typeof s1.version).toBe('number');
    expect(s1.daemon.pid).toBe(r1.pid);
    expect(vi(s1)).toMatchObject({
      state: 'master',
      priority: 150,
      effectivePriority: 150,
      masterAddress: ip1,
    });
    expect(vi(s1).vips).toEqual([expect.objectContaining({ address: VIP, prefixLength: 24, present: true })]);
    expect(vi(s2)).toMatchObject({ state: 'backup', priority: 100, masterAddress: ip1, masterPriority: 150 });
    expect(vi(s2).vips).toEqual([expect.objectContaining({ address: VIP, present: false })]);
  });

  it('status -s /nonexistent.sock: exit 2 and one line saying why', async () => {
    const r = await cli(lab, 'c', ['status', '-s', '/nonexistent.sock']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    console.log(`status on a missing socket: ${r.stderr.trim()}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vrrpd: .*\/nonexistent\.sock/);
  });

  it('status --watch: prints at least twice in 2.5 s, exits 0 on SIGINT', async () => {
    const child = lab.topo.spawn('c', [process.execPath, CLI, 'status', '--watch', '-s', r1.socket]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    try {
      await sleep(2500);
      process.kill(child.pid as number, 'SIGINT');
      const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
      expect(code).toBe(0);
      const headers = out.split('\n').filter((l) => l.startsWith('INSTANCE'));
      expect(headers.length, out).toBeGreaterThanOrEqual(2);
    } finally {
      await lab.topo.kill(child, 1000);
    }
  });

  it('the test hook debug.stall-engine does not exist without VRRPD_TEST_HOOKS=1', async () => {
    await expect(request(r1.socket, 'debug.stall-engine', { ms: 10 }, 3000)).rejects.toMatchObject({
      code: 'CONTROL_UNKNOWN_METHOD',
    });
  });

  it('/metrics: state, priorities, transitions and adverts agree with the pair', async () => {
    const [m1, m2] = await Promise.all([scrape('r1'), scrape('r2')]);
    const vi = { instance: 'VI' };
    expect(m1.get('vrrpd_instance_state', { ...vi, state: 'master' })).toBe(1);
    expect(m1.get('vrrpd_instance_state', { ...vi, state: 'backup' })).toBe(0);
    expect(m2.get('vrrpd_instance_state', { ...vi, state: 'backup' })).toBe(1);
    expect(m2.get('vrrpd_instance_state', { ...vi, state: 'master' })).toBe(0);
    expect(m1.get('vrrpd_instance_priority', vi)).toBe(150);
    expect(m2.get('vrrpd_instance_effective_priority', vi)).toBe(100);
    // init -> backup -> master, and init -> backup
    expect(m1.get('vrrpd_instance_transitions_total', vi)).toBe(2);
    expect(m1.get('vrrpd_instance_became_master_total', vi)).toBe(1);
    expect(m2.get('vrrpd_instance_transitions_total', vi)).toBe(1);
    expect(m1.get('vrrpd_info', { router_id: 'r1' })).toBe(1);
    expect(m1.get('vrrpd_vip_present', { ...vi, address: '192.0.2.50/24' })).toBe(1);
    expect(m2.get('vrrpd_vip_present', { ...vi, address: '192.0.2.50/24' })).toBe(0);
    // counters move with the wire: bracket the scrape between two status reads
    const sent = m1.get('vrrpd_adverts_sent_total', vi) ?? -1;
    const recv = m2.get('vrrpd_adverts_received_total', vi) ?? -1;
    expect(sent).toBeGreaterThan(5);
    expect(recv).toBeGreaterThan(5);
    const [s1, s2] = await Promise.all([r1.instance(), r2.instance()]);
    expect(sent).toBeLessThanOrEqual(s1.counters.advertsSent);
    expect(s1.counters.advertsSent - sent).toBeLessThan(20);
    expect(recv).toBeLessThanOrEqual(s2.counters.advertsReceived);
    expect(m1.samples.some((s) => s.name === 'vrrpd_process_cpu_seconds_total')).toBe(true);
  });

  it('/metrics: injected bad packets show in drops_total and unmatched_drops_total', async () => {
    const src = lab.topo.host('c').ipv4;
    const v3 = (o: Partial<EncodableAdvert> = {}): EncodableAdvert =>
      ({
        version: 3,
        type: 1,
        vrid: 51,
        priority: 254,
        maxAdvertIntervalCs: 10,
        addresses: [VIP],
        ...o,
      }) as EncodableAdvert;
    const enc = (a: EncodableAdvert) => encodeAdvert(a, { family: 4, srcAddress: src, dstAddress: GROUP });
    const good = enc(v3());
    const badSum = Buffer.from(good);
    badSum.writeUInt16BE(badSum.readUInt16BE(6) ^ 0x5a5a, 6);
    const pkt = (b: Buffer, ttl = 255) => ({ hex: b.toString('hex'), dst: GROUP, ttl });
    const packets = [
      ...Array.from({ length: 3 }, () => pkt(good, 254)), // RFC 5798 §7.1: TTL must be 255
      ...Array.from({ length: 2 }, () => pkt(badSum)),
      ...Array.from({ length: 4 }, () => pkt(enc(v3({ vrid: 99 })))), // no such VRID
    ];
    const before = await Promise.all([scrape('r1'), scrape('r2')]);
    const r = await lab.topo.exec('c', [
      process.execPath,
      INJECT,
      JSON.stringify({ family: 4, ifname: 'eth0', packets }),
    ]);
    expect(JSON.parse(r.stdout)).toEqual({ sent: packets.length });
    await sleep(500);
    const after = await Promise.all([scrape('r1'), scrape('r2')]);
    for (const i of [0, 1]) {
      const b = before[i]!;
      const a = after[i]!;
      const delta = (name: string, labels: Record<string, string>) =>
        (a.get(name, labels) ?? 0) - (b.get(name, labels) ?? 0);
      const where = a.samples
        .filter((s) => s.name.includes('drops'))
        .map((s) => `${s.name}${s.labels} ${s.value}`)
        .join('\n');
      expect(delta('vrrpd_drops_total', { instance: 'VI', reason: 'ttl' }), where).toBe(3);
      expect(delta('vrrpd_drops_total', { instance: 'VI', reason: 'checksum' }), where).toBe(2);
      expect(delta('vrrpd_unmatched_drops_total', { reason: 'vrid' }), where).toBe(4);
      expect(delta('vrrpd_instance_transitions_total', { instance: 'VI' }), where).toBe(0);
    }
  });

  it('/metrics right after a failover (SIGTERM on the master): the backup shows master at once', async () => {
    await r1.stop('SIGTERM');
    await r2.waitState('VI', 'master', 3000);
    const m = await scrape('r2');
    const vi = { instance: 'VI' };
    expect(m.get('vrrpd_instance_state', { ...vi, state: 'master' })).toBe(1);
    expect(m.get('vrrpd_instance_state', { ...vi, state: 'backup' })).toBe(0);
    expect(m.get('vrrpd_instance_transitions_total', vi)).toBe(2);
    expect(m.get('vrrpd_instance_became_master_total', vi)).toBe(1);
    expect(m.get('vrrpd_priority_zero_received_total', vi)).toBeGreaterThanOrEqual(1);
    expect(m.get('vrrpd_vip_present', { ...vi, address: '192.0.2.50/24' })).toBe(1);
    const sent0 = m.get('vrrpd_adverts_sent_total', vi) ?? 0;
    await sleep(600);
    const later = await scrape('r2');
    // 100 ms adverts: about 6 more in 600 ms
    expect((later.get('vrrpd_adverts_sent_total', vi) ?? 0) - sent0).toBeGreaterThanOrEqual(3);
  });
});
