// Metrics: a real scrape over loopback, parsed back from the Prometheus text exposition.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleSnapshot } from '../../src/control/example.js';
import {
  createMetrics,
  createMetricsServer,
  type MetricsServer,
  parseListen,
} from '../../src/control/metrics.js';
import { DROP_REASONS, type Snapshot } from '../../src/control/snapshot.js';
import { parseExposition, type Sample } from '../helpers/promql.js';

function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics endpoint', () => {
  let snapshot: Snapshot | null = exampleSnapshot();
  const metrics = createMetrics({ snapshot: () => snapshot });
  let server: MetricsServer;
  let calls = 0;
  const counting = createMetrics({
    snapshot: async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return exampleSnapshot();
    },
    processMetrics: false,
  });

  beforeAll(async () => {
    server = await createMetricsServer({ listen: '127.0.0.1:0', registry: metrics.registry });
  });
  afterAll(async () => {
    await server?.close();
  });

  const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

  it('serves the snapshot as vrrpd_ metrics', async () => {
    metrics.observeCheck({
      virtualServer: 'tcp/192.0.2.50:80',
      realServer: '198.51.100.2:80',
      type: 'http',
      durationS: 0.0032,
      ok: true,
    });
    metrics.observeCheck({
      virtualServer: 'tcp/192.0.2.50:80',
      realServer: '198.51.100.3:80',
      type: 'tcp',
      durationS: 0.001,
      ok: false,
    });
    const res = await get(server.address.port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    const s = parseExposition(res.body);
    const one = (name: string, labels: Record<string, string> = {}) => {
      const hits = find(s, name, labels);
      expect(hits, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
      return hits[0]!.value;
    };
    expect(one('vrrpd_info', { version: '0.1.0', router_id: 'lb1' })).toBe(1);
    expect(one('vrrpd_instance_state', { instance: 'VI_1', state: 'master' })).toBe(1);
    expect(one('vrrpd_instance_state', { instance: 'VI_1', state: 'backup' })).toBe(0);
    expect(one('vrrpd_instance_state', { instance: 'VI_2', state: 'backup' })).toBe(1);
    expect(find(s, 'vrrpd_instance_state')).toHaveLength(8);
    expect(one('vrrpd_instance_priority', { instance: 'VI_2' })).toBe(100);
    expect(one('vrrpd_instance_effective_priority', { instance: 'VI_2' })).toBe(80);
    expect(one('vrrpd_instance_transitions_total', { instance: 'VI_1' })).toBe(2);
    expect(one('vrrpd_adverts_sent_total', { instance: 'VI_1' })).toBe(43200);
    expect(one('vrrpd_adverts_received_total', { instance: 'VI_2' })).toBe(7196);
    expect(one('vrrpd_drops_total', { instance: 'VI_2', reason: 'ttl' })).toBe(3);
    expect(one('vrrpd_drops_total', { instance: 'VI_2', reason: 'auth-failure' })).toBe(1);
    expect(one('vrrpd_unmatched_drops_total', { reason: 'vrid' })).toBe(5);
    expect(one('vrrpd_vip_present', { instance: 'VI_2', address: '198.51.100.50/32' })).toBe(0);
    expect(one('vrrpd_vrrp_script_up', { script: 'chk_haproxy' })).toBe(0);
    expect(one('vrrpd_virtual_server_quorum_up', { virtual_server: 'tcp/192.0.2.50:80' })).toBe(1);
    expect(one('vrrpd_real_server_up', { real_server: '198.51.100.2:80' })).toBe(1);
    expect(one('vrrpd_real_server_up', { real_server: '198.51.100.3:80' })).toBe(0);
    expect(one('vrrpd_real_server_weight', { real_server: '198.51.100.2:80' })).toBe(2);
    expect(one('vrrpd_real_server_weight', { real_server: '198.51.100.3:80' })).toBe(0);
    expect(one('vrrpd_check_duration_seconds_count', { real_server: '198.51.100.2:80', type: 'http' })).toBe(
      1,
    );
    expect(one('vrrpd_check_duration_seconds_bucket', { real_server: '198.51.100.2:80', le: '0.0025' })).toBe(
      0,
    );
    expect(one('vrrpd_check_duration_seconds_bucket', { real_server: '198.51.100.2:80', le: '0.005' })).toBe(
      1,
    );
    expect(one('vrrpd_check_results_total', { type: 'tcp', result: 'fail' })).toBe(1);
    expect(one('vrrpd_check_results_total', { type: 'http', result: 'ok' })).toBe(1);
    // process metrics, with our prefix
    expect(find(s, 'vrrpd_process_cpu_user_seconds_total').length).toBe(1);
    // every sample is a number and every name is ours. Exception: prom-client's event-loop
    // lag mean and stddev are NaN until its delay monitor has taken a sample (10 ms after
    // the registry was made), which a scrape this early can beat on a loaded machine.
    const notYetSampled = new Set([
      'vrrpd_nodejs_eventloop_lag_mean_seconds',
      'vrrpd_nodejs_eventloop_lag_stddev_seconds',
    ]);
    for (const x of s) {
      expect(x.name.startsWith('vrrpd_')).toBe(true);
      if (!notYetSampled.has(x.name)) expect(Number.isNaN(x.value), x.name).toBe(false);
    }
  });

  it('labels each virtual router without colliding with Prometheus instance; counts reloads; health state sets', async () => {
    const s = parseExposition((await get(server.address.port, '/metrics')).body);
    const one = (name: string, labels: Record<string, string> = {}) => {
      const hits = find(s, name, labels);
      expect(hits, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
      return hits[0]!.value;
    };
    const vi2 = { vrrp_instance: 'VI_2', interface: 'eth1', vrid: '52', family: 'ipv4' };
    expect(one('vrrpd_vrrp_instance_state', { ...vi2, state: 'backup' })).toBe(1);
    expect(one('vrrpd_vrrp_instance_state', { ...vi2, state: 'master' })).toBe(0);
    expect(one('vrrpd_vrrp_instance_state', { vrrp_instance: 'VI_1', vrid: '51', state: 'master' })).toBe(1);
    expect(find(s, 'vrrpd_vrrp_instance_state')).toHaveLength(8);
    expect(one('vrrpd_vrrp_instance_transitions_total', vi2)).toBe(1);
    // the new series carry no `instance` label at all
    for (const x of s.filter((x) => x.name.startsWith('vrrpd_vrrp_instance_')))
      expect(x.labels).not.toHaveProperty('instance');
    // every known drop reason is there from 0, so rate() sees the first drop
    expect(one('vrrpd_drops_total', { instance: 'VI_1', reason: 'ttl' })).toBe(0);
    expect(find(s, 'vrrpd_drops_total', { instance: 'VI_1' }).length).toBe(DROP_REASONS.length);
    expect(one('vrrpd_unmatched_drops_total', { reason: 'checksum' })).toBe(0);
    expect(one('vrrpd_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(one('vrrpd_config_reloads_total', { result: 'refused' })).toBe(0);
    expect(one('vrrpd_config_reloads_total', { result: 'error' })).toBe(0);
    expect(one('vrrpd_virtual_server_quorum', { virtual_server: 'tcp/192.0.2.50:80' })).toBe(1);
    const rs3 = { virtual_server: 'tcp/192.0.2.50:80', real_server: '198.51.100.3:80' };
    expect(one('vrrpd_real_server_health', { ...rs3, health: 'down' })).toBe(1);
    expect(one('vrrpd_real_server_health', { ...rs3, health: 'up' })).toBe(0);
    expect(one('vrrpd_real_server_health', { ...rs3, health: 'unknown' })).toBe(0);
    expect(find(s, 'vrrpd_real_server_health')).toHaveLength(6);
    // an IPv6 instance and a refused reload
    const next = exampleSnapshot();
    next.instances[0]!.family = 6;
    next.daemon.reloads = { ok: 1, refused: 2, error: 0 };
    next.daemon.lastReload = { at: next.generatedAt, ok: false, errors: ['x:1:1: bad'] };
    next.virtualServers[0]!.realServers[0]!.health = 'unknown';
    snapshot = next;
    try {
      const t = parseExposition((await get(server.address.port, '/metrics')).body);
      const v = (name: string, labels: Record<string, string>) => find(t, name, labels)[0]?.value;
      expect(v('vrrpd_vrrp_instance_state', { vrrp_instance: 'VI_1', family: 'ipv6', state: 'master' })).toBe(
        1,
      );
      expect(v('vrrpd_config_reloads_total', { result: 'refused' })).toBe(2);
      expect(v('vrrpd_config_last_reload_successful', {})).toBe(0);
      expect(v('vrrpd_real_server_health', { real_server: '198.51.100.2:80', health: 'unknown' })).toBe(1);
      expect(v('vrrpd_real_server_up', { real_server: '198.51.100.2:80' })).toBe(0);
    } finally {
      snapshot = exampleSnapshot();
    }
  });

  it('records how late the VRRP engine timer fired', async () => {
    const m = createMetrics({ snapshot: () => null, processMetrics: false });
    m.observeEngineLateness(0.0004);
    m.observeEngineLateness(0.3);
    m.observeEngineLateness(-0.001); // a timer a hair early counts as on time
    const s = parseExposition(await m.registry.metrics());
    const v = (name: string, labels: Record<string, string> = {}) => find(s, name, labels)[0]?.value;
    expect(v('vrrpd_vrrp_engine_timer_lateness_seconds_count')).toBe(3);
    expect(v('vrrpd_vrrp_engine_timer_lateness_seconds_bucket', { le: '0.001' })).toBe(2);
    expect(v('vrrpd_vrrp_engine_timer_lateness_seconds_bucket', { le: '0.25' })).toBe(2);
    expect(v('vrrpd_vrrp_engine_timer_lateness_seconds_bucket', { le: '0.5' })).toBe(3);
  });

  it('follows the snapshot: counters advance, removed instances disappear', async () => {
    const next = exampleSnapshot();
    next.instances[0]!.counters.advertsSent = 43210;
    next.instances.pop();
    snapshot = next;
    const s = parseExposition((await get(server.address.port, '/metrics')).body);
    expect(find(s, 'vrrpd_adverts_sent_total', { instance: 'VI_1' })[0]!.value).toBe(43210);
    expect(find(s, 'vrrpd_instance_priority', { instance: 'VI_2' })).toHaveLength(0);
    snapshot = null; // daemon not ready yet: no instance metrics, still a valid scrape
    const empty = await get(server.address.port, '/metrics');
    expect(empty.status).toBe(200);
    expect(find(parseExposition(empty.body), 'vrrpd_instance_state')).toHaveLength(0);
    snapshot = exampleSnapshot();
  });

  it('builds the snapshot once per scrape, also when it is async', async () => {
    const text = await counting.registry.metrics();
    expect(calls).toBe(1);
    expect(text).toContain('vrrpd_instance_state{instance="VI_1",state="master"} 1');
    await new Promise((r) => setImmediate(r));
    await counting.registry.metrics();
    expect(calls).toBe(2);
  });

  it('still scrapes when the snapshot cannot be built', async () => {
    const failing = createMetrics({
      snapshot: async () => {
        throw new Error('engine worker not answering');
      },
      processMetrics: false,
    });
    const text = await failing.registry.metrics();
    expect(text).toContain('# TYPE vrrpd_instance_state gauge');
    expect(text).not.toContain('vrrpd_instance_state{');
  });

  it('answers only GET/HEAD /metrics', async () => {
    expect((await get(server.address.port, '/')).status).toBe(404);
    expect((await get(server.address.port, '/metrics/x')).status).toBe(404);
    expect((await get(server.address.port, '/metrics', 'POST')).status).toBe(405);
    const head = await get(server.address.port, '/metrics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await get(server.address.port, '/metrics?x=1')).status).toBe(200);
  });

  it('parses metrics_listen', () => {
    expect(parseListen('127.0.0.1:9650')).toEqual({ host: '127.0.0.1', port: 9650 });
    expect(parseListen('[::1]:9650')).toEqual({ host: '::1', port: 9650 });
    expect(parseListen(':9650')).toEqual({ host: '::', port: 9650 });
    expect(() => parseListen('9650')).toThrow(/not HOST:PORT/);
    expect(() => parseListen('127.0.0.1:70000')).toThrow(/not HOST:PORT/);
  });
});
