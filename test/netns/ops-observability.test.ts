// The observability kit against live daemons. Two directors (r1, r2) run VRRP instance VI
// (VRID 51) and a virtual server with two HTTP-checked real servers in namespace srv (one
// answers, one has nothing listening; quorum 2), each serving /metrics on its own address
// in its namespace. Checked:
// - every metric name the alert rules and the dashboard use is in a live scrape (with
//   samples), and `promtool check metrics` finds nothing wrong with vrrpd's own metrics;
// - the new metrics move at run time: reloads by result, real server health and quorum
//   when the missing real server starts answering;
// - a real Prometheus (namespace mon) scraping both directors with the shipped rules:
//   every rule evaluates without error, vrrpd's instance label arrives as
//   exported_instance beside the director's `instance`, one master per virtual router,
//   pending alerts for the down real server and the lost quorum, data in every dashboard
//   panel, and with VRRP blocked
//   between the directors (nft on r2) a pending VrrpdTwoMasters for both;
// - a blocked VRRP engine loop shows in the engine timer lateness histogram.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { request } from '../../src/control/client.js';
import { missing } from '../helpers/env.js';
import {
  dashboardExprs,
  metricNames,
  parseExposition,
  RULES_FILE,
  ruleExprs,
  withoutGrafanaVariables,
} from '../helpers/promql.js';
import { cli, createLab, instance, type Lab, until, type Vrrpd } from './lib/vrrpd.js';

const execFileP = promisify(execFile);
const why = missing({ root: true, commands: ['ip', 'curl', 'nft', 'promtool', 'prometheus'] });
const PORT = 9650;
const PROM = '127.0.0.1:9090';

/** Series Prometheus itself makes for a target; the only non-vrrpd names the rules may use. */
const SYNTHETIC = new Set(['up']);

/**
 * prom-client's default Node metrics that `promtool check metrics` objects to (gauges named
 * _total). Their names are fixed by prom-client and already published; none of ours may
 * be on this list.
 */
const PROM_CLIENT_LINT = [
  'vrrpd_nodejs_active_handles_total',
  'vrrpd_nodejs_active_requests_total',
  'vrrpd_nodejs_active_resources_total',
];

// Real servers: 8080 answers /healthz; 8081 gets a listener only when the test says so.
const SERVER = `
const http = require('node:http');
const h = (q, s) => { s.end(q.url === '/healthz' ? 'ok' : 'no'); };
http.createServer(h).listen(8080, '0.0.0.0', () => console.log('ready'));
process.stdin.on('data', () => http.createServer(h).listen(8081, '0.0.0.0', () => console.log('second')));
`;

describe.skipIf(why)('alert rules and dashboard against live daemons and a real Prometheus', () => {
  let lab: Lab;
  let r1: Vrrpd;
  let r2: Vrrpd;
  let server: ChildProcess;
  let prometheus: ChildProcess | null = null;
  let promLog = '';
  let srv = '';

  const config = (host: string, priority: number) => ({
    global: {
      metrics_listen: `${lab.topo.host(host).ipv4}:${PORT}`,
      state_file: join(lab.dir, `${host}-ipvs-owned.json`),
    },
    vrrp_instances: [instance({ priority })],
    virtual_servers: [
      {
        address: '192.0.2.50',
        port: 80,
        protocol: 'tcp',
        scheduler: 'rr',
        forwarding: 'nat',
        quorum: 2,
        check_defaults: { interval: '300ms', timeout: '1s', rise: 1, fall: 1 },
        real_servers: [8080, 8081].map((port) => ({
          address: srv,
          port,
          check: { type: 'http', path: '/healthz' },
        })),
      },
    ],
  });

  async function scrape(d: Vrrpd) {
    const text = await lab.sh(
      d.host,
      `curl -sS --max-time 5 http://${lab.topo.host(d.host).ipv4}:${PORT}/metrics`,
    );
    const samples = parseExposition(text);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    return { text, samples, value };
  }

  /** GET on Prometheus's HTTP API (from inside mon); the `data` of its answer. */
  async function api<T>(path: string): Promise<T> {
    const out = await lab.sh('mon', `curl -sS --max-time 5 'http://${PROM}${path}'`);
    const r = JSON.parse(out) as { status: string; data: T; error?: string };
    if (r.status !== 'success') throw new Error(`${path}: ${r.error ?? out}`);
    return r.data;
  }
  type Vector = { metric: Record<string, string>; value: [number, string] }[];
  const query = (q: string) => api<{ result: Vector }>(`/api/v1/query?query=${encodeURIComponent(q)}`);
  type Alert = { labels: Record<string, string>; annotations: Record<string, string>; state: string };
  const alerts = async (name: string) =>
    (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.labels.alertname === name);
  /** Waits until alert `name` is active (pending or firing) for both directors. */
  const activeForBoth = (name: string) =>
    until(
      async () => {
        const a = await alerts(name);
        return a.length === 2 ? a : null;
      },
      30_000,
      `${name} active for both directors`,
      500,
    );

  beforeAll(async () => {
    lab = await createLab(['r1', 'r2', 'srv', 'mon']);
    srv = lab.topo.host('srv').ipv4;
    server = lab.topo.spawn('srv', [process.execPath, '-e', SERVER]);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('real server in srv did not start')), 20_000);
      server.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // one after the other, so that r1 is master from the start
    // test hooks: the last test blocks r1's engine loop (debug.stall-engine)
    r1 = await lab.start('r1', config('r1', 150), { env: { ...process.env, VRRPD_TEST_HOOKS: '1' } });
    await r1.waitState('VI', 'master', 5000);
    r2 = await lab.start('r2', config('r2', 100));
    await r2.waitState('VI', 'backup', 5000);
  });
  afterAll(async () => {
    if (prometheus) await lab?.topo.kill(prometheus, 5000);
    if (server) await lab?.topo.kill(server, 2000);
    await lab?.cleanup();
  });

  it('every metric the rules and the dashboard use is in the live scrape', async () => {
    // the real servers' first check results are in (one up, one down)
    await until(
      async () =>
        (await scrape(r1)).value('vrrpd_real_server_health', {
          real_server: `${srv}:8081`,
          health: 'down',
        }) === 1,
      10_000,
      'a checked-down real server in the scrape',
    );
    const { samples } = await scrape(r1);
    const scraped = new Set(samples.map((s) => s.name));
    const exprs = [...ruleExprs(), ...dashboardExprs()];
    const missingNames: string[] = [];
    for (const e of exprs) {
      const names = metricNames(e.expr);
      expect(names.length, `${e.where}: no metric in ${e.expr}`).toBeGreaterThan(0);
      for (const n of names) {
        if (SYNTHETIC.has(n)) continue;
        // a histogram is selected by its _bucket/_sum/_count series, never by its bare name,
        // so an exact sample name is what must exist
        if (!scraped.has(n)) missingNames.push(`${n} (${e.where})`);
      }
    }
    expect(missingNames, 'metric names used by rules/dashboard but absent from /metrics').toEqual([]);
    const m = await scrape(r1);
    expect(m.value('vrrpd_virtual_server_quorum', { virtual_server: 'tcp/192.0.2.50:80' })).toBe(2);
    expect(m.value('vrrpd_virtual_server_quorum_up')).toBe(0);
    expect(
      m.value('vrrpd_vrrp_instance_state', {
        vrrp_instance: 'VI',
        interface: 'eth0',
        vrid: '51',
        family: 'ipv4',
        state: 'master',
      }),
    ).toBe(1);
    console.log(
      `rules and dashboard: ${exprs.length} expressions, ${new Set(exprs.flatMap((e) => metricNames(e.expr))).size} metric names, all in a scrape of ${scraped.size} names`,
    );
  });

  it('promtool check metrics: no findings for vrrpd metrics', async () => {
    const { text } = await scrape(r1);
    const file = join(lab.dir, 'scrape.txt');
    writeFileSync(file, text);
    const r = await execFileP('sh', ['-c', `promtool check metrics < '${file}'`], { timeout: 30_000 }).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );
    const findings = r.out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const ours = findings.filter((l) => !PROM_CLIENT_LINT.some((n) => l.startsWith(`${n} `)));
    expect(ours, r.out).toEqual([]);
    // exit 0, or 3 (lint findings) only because of the known prom-client names
    expect(r.code === 0 || (r.code === 3 && findings.length > 0), `exit ${r.code}: ${r.out}`).toBe(true);
  });

  it('reloads are counted by result, and a refused one shows until a good one', async () => {
    const before = await scrape(r1);
    expect(before.value('vrrpd_config_reloads_total', { result: 'ok' })).toBe(0);
    expect(before.value('vrrpd_config_reloads_total', { result: 'refused' })).toBe(0);
    const good = readFileSync(r1.configPath, 'utf8');
    writeFileSync(r1.configPath, `${good}bogus_key: 1\n`);
    const bad = await cli(lab, 'r1', ['reload', '-s', r1.socket]);
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    const refused = await scrape(r1);
    expect(refused.value('vrrpd_config_reloads_total', { result: 'refused' })).toBe(1);
    expect(refused.value('vrrpd_config_last_reload_successful')).toBe(0);
    writeFileSync(r1.configPath, good);
    const ok = await cli(lab, 'r1', ['reload', '-s', r1.socket]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const after = await scrape(r1);
    expect(after.value('vrrpd_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(after.value('vrrpd_config_reloads_total', { result: 'refused' })).toBe(1);
    expect(after.value('vrrpd_config_reloads_total', { result: 'error' })).toBe(0);
    expect(after.value('vrrpd_config_last_reload_successful')).toBe(1);
    // an unchanged instance keeps its state through the reload
    expect(after.value('vrrpd_vrrp_instance_state', { vrrp_instance: 'VI', state: 'master' })).toBe(1);
  });

  it('a real Prometheus with the shipped rules: labels, one master, pending alerts', async () => {
    const dir = join(lab.dir, 'prometheus');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const targets = ['r1', 'r2'].map((h) => `${lab.topo.host(h).ipv4}:${PORT}`);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [RULES_FILE],
        scrape_configs: [{ job_name: 'vrrpd', static_configs: [{ targets }] }],
      }),
    );
    prometheus = lab.topo.spawn('mon', [
      'prometheus',
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${PROM}`,
      '--log.level=warn',
    ]);
    prometheus.stderr?.on('data', (d: Buffer) => {
      promLog += d.toString();
    });
    const where = () => `prometheus log: ${promLog.slice(-2000)}`;

    // both directors scraped
    await until(
      async () => (await query('up{job="vrrpd"} == 1')).result.length === 2,
      60_000,
      'Prometheus to scrape both directors',
      500,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${where()}`);
    });

    // every rule evaluated without error
    type Rule = { name: string; health: string; lastError?: string; type: string };
    const rules = await until(
      async () => {
        const g = await api<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
        const all = g.groups.flatMap((x) => x.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : null;
      },
      30_000,
      'every rule evaluated once',
      500,
    );
    expect(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`),
      where(),
    ).toEqual([]);
    expect(rules.length).toBe(ruleExprs().length);

    // vrrpd's `instance` label arrives renamed; the target keeps `instance`
    const drops = (await query('vrrpd_drops_total{reason="ttl"}')).result;
    expect(drops.map((s) => [s.metric.instance, s.metric.exported_instance]).sort()).toEqual(
      targets.map((t) => [t, 'VI']).sort(),
    );

    // one master for the virtual router, grouped as the rules group it
    const masters = (
      await query('sum by (job, vrid, family, vrrp_instance) (vrrpd_vrrp_instance_state{state="master"})')
    ).result;
    expect(masters).toEqual([
      {
        metric: { job: 'vrrpd', vrid: '51', family: 'ipv4', vrrp_instance: 'VI' },
        value: [expect.any(Number), '1'],
      },
    ]);
    // alert states follow the rules' last evaluation (every 1 s), which may predate the
    // election seen above: none of them may stay active once an evaluation has seen it
    for (const name of ['VrrpdNoMaster', 'VrrpdTwoMasters'])
      await until(
        async () => (await alerts(name)).length === 0,
        10_000,
        `${name} inactive: ${JSON.stringify(await alerts(name))}`,
        500,
      );

    // the real server with nothing listening: pending (for: 3m) on both directors, and
    // the virtual server below its quorum of 2 with 1 real server up
    const down = await activeForBoth('VrrpdRealServerDown');
    for (const a of down) {
      expect(a.state).toBe('pending');
      expect(a.labels.real_server).toBe(`${srv}:8081`);
      expect(a.annotations.summary).toBe(
        `Real server ${srv}:8081 of tcp/192.0.2.50:80 is down (seen from ${a.labels.instance})`,
      );
    }
    const quorum = await activeForBoth('VrrpdVirtualServerQuorumLost');
    for (const a of quorum)
      expect(a.annotations.summary).toBe(
        `tcp/192.0.2.50:80 on ${a.labels.instance} is below quorum (1 real servers up)`,
      );

    // every dashboard query runs on this Prometheus; each panel's has data (rates need a
    // few scrapes of each director first)
    await until(
      async () => (await query('min(count_over_time(vrrpd_info[1m])) >= 3')).result.length > 0,
      30_000,
      'three scrapes of each director',
      500,
    );
    const empty: string[] = [];
    for (const e of dashboardExprs()) {
      const r = await query(withoutGrafanaVariables(e.expr)).catch((err: Error) => {
        throw new Error(`${e.where}: ${err.message}`);
      });
      if (e.where.startsWith('panel') && r.result.length === 0) empty.push(e.where);
    }
    expect(empty, 'dashboard panels without data from two live directors').toEqual([]);

    // the missing real server starts answering: health, quorum and the alerts follow
    server.stdin?.write('go\n');
    await until(
      async () => {
        const m = await scrape(r1);
        return (
          m.value('vrrpd_real_server_health', { real_server: `${srv}:8081`, health: 'up' }) === 1 &&
          m.value('vrrpd_virtual_server_quorum_up') === 1
        );
      },
      20_000,
      'the second real server up and the quorum met on r1',
      200,
    );
    await until(
      async () =>
        (await alerts('VrrpdRealServerDown')).length === 0 &&
        (await alerts('VrrpdVirtualServerQuorumLost')).length === 0,
      30_000,
      'the real server and quorum alerts to clear',
      500,
    );
  });

  it('split brain: with VRRP blocked into r2, VrrpdTwoMasters is pending for both directors', async () => {
    const vi = { vrrp_instance: 'VI', vrid: '51', family: 'ipv4' };
    const transitions0 = (await scrape(r2)).value('vrrpd_vrrp_instance_transitions_total', vi) ?? -1;
    await lab.sh(
      'r2',
      `nft 'add table inet vrrpdobs; add chain inet vrrpdobs input { type filter hook input priority 0; }; add rule inet vrrpdobs input ip protocol vrrp drop'`,
    );
    try {
      await r2.waitState('VI', 'master', 5000);
      const two = await activeForBoth('VrrpdTwoMasters');
      expect(two.map((a) => a.labels.instance).sort()).toEqual(
        ['r1', 'r2'].map((h) => `${lab.topo.host(h).ipv4}:${PORT}`).sort(),
      );
      for (const a of two)
        expect(a.labels).toMatchObject({ vrid: '51', family: 'ipv4', vrrp_instance: 'VI' });
    } finally {
      await lab.sh('r2', 'nft delete table inet vrrpdobs');
    }
    // healed: r2 hears r1 again and steps back; backup -> master -> backup counted
    await r2.waitState('VI', 'backup', 5000);
    const m = await scrape(r2);
    expect(m.value('vrrpd_vrrp_instance_transitions_total', vi)).toBe(transitions0 + 2);
    expect(m.value('vrrpd_vrrp_instance_state', { ...vi, state: 'backup' })).toBe(1);
  });

  it('a blocked VRRP engine loop shows in vrrpd_vrrp_engine_timer_lateness_seconds', async () => {
    // r2 leaves first: with it listening, a 700 ms stall of r1 would be a failover
    await r2.stop('SIGTERM');
    const late = async () => {
      const m = await scrape(r1);
      const count = m.value('vrrpd_vrrp_engine_timer_lateness_seconds_count') ?? 0;
      const onTime = m.value('vrrpd_vrrp_engine_timer_lateness_seconds_bucket', { le: '0.1' }) ?? 0;
      return { count, over100ms: count - onTime };
    };
    const before = await late();
    // heartbeats every 500 ms since start: the histogram has been filling all along
    expect(before.count).toBeGreaterThan(10);
    await request(r1.socket, 'debug.stall-engine', { ms: 700 }, 3000);
    // a 700 ms block delays at least one 500 ms heartbeat by 200 ms or more
    const after = await until(
      async () => {
        const now = await late();
        return now.over100ms > before.over100ms ? now : null;
      },
      10_000,
      `a heartbeat more than 100 ms late (before: ${JSON.stringify(before)})`,
      200,
    );
    expect(after.count).toBeGreaterThan(before.count);
  });
});
