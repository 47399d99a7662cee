// Prometheus metrics (CONFIG.md global.metrics_listen; off unless configured).
// Most metrics are read from the status snapshot at scrape time, so they always agree
// with `vrrpd status` and need no bookkeeping in the engine; counters are the snapshot's
// own cumulative counters. Only check latencies and results and the VRRP engine's timer
// lateness, which a snapshot can't hold, are recorded as they happen (observeCheck(),
// observeEngineLateness()).
//
// Metrics (all prefixed vrrpd_):
//   info{version, router_id}                         1
//   config_last_reload_successful                    1, or 0 after a refused reload
//   config_reloads_total{result}                     reload attempts: ok | refused | error
//   config_loaded_timestamp_seconds                  unix time of the running config
//   instance_state{instance, state}                  1 for the current state, 0 for the other
//                                                    three (init/backup/master/fault): a state set
//   instance_priority{instance}                      configured priority
//   instance_effective_priority{instance}            priority after tracking (what adverts carry)
//   instance_transitions_total{instance}             every state change
//   instance_became_master_total{instance}           RFC 6527 vrrpv3StatisticsMasterTransitions
//   adverts_sent_total{instance}, adverts_received_total{instance}
//   priority_zero_sent_total{instance}, priority_zero_received_total{instance}
//   drops_total{instance, reason}                    discarded adverts, reasons as DropReason (vrrp/drop-reason.ts)
//   unmatched_drops_total{reason}                    drops not attributable to an instance
//                                                    (both: every known reason from 0, so rate() sees the first drop)
//   vrrp_instance_state{vrrp_instance, interface, vrid, family, state}
//   vrrp_instance_transitions_total{vrrp_instance, interface, vrid, family}
//       the same facts as instance_state and instance_transitions_total, with the labels
//       that identify a virtual router across directors (family: ipv4 | ipv6). Their name
//       label is not `instance`: Prometheus sets `instance` to the scrape target, and a
//       scraped `instance` label is renamed exported_instance (or, with honor_labels,
//       replaces the target's), so rules comparing directors use these.
//   vip_present{instance, address}                   1 when the VIP is on its device
//   vrrp_script_up{script}                           1 ok, 0 failing or unknown
//   virtual_server_quorum_up{virtual_server}         1 when healthy reals >= quorum
//   virtual_server_sorry_active{virtual_server}
//   virtual_server_quorum{virtual_server}            configured quorum (healthy reals needed)
//   real_server_up{virtual_server, real_server}      1 up, 0 down or not yet checked
//   real_server_health{virtual_server, real_server, health}  1 for the current one of up | down | unknown
//   real_server_in_ipvs{virtual_server, real_server} 1 when in the kernel table
//   real_server_weight{virtual_server, real_server}  weight in the kernel table (0 when absent)
//   announce_route_up{address}                       1 while the address is announced (its route is in
//                                                    global.announce.table, which FRR redistributes)
//   announce_withdrawals_total                       announced routes withdrawn since start
//   check_duration_seconds{virtual_server, real_server, type}   histogram of probe latency
//   check_results_total{type, result}                result: ok | fail
//   vrrp_engine_timer_lateness_seconds               histogram: how late the VRRP engine worker's
//                                                    heartbeat timer fired, i.e. its event loop's delay
//                                                    (adverts are timers on that loop)
//   plus prom-client's process/Node metrics (process_cpu_seconds_total, nodejs_heap_*, ...;
//   nodejs_eventloop_lag_{min,max,mean,p50,p90,p99,stddev}_seconds sample the loop once a second)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import {
  DROP_REASONS,
  endpointKey,
  type RealServerHealth,
  type ReloadCounts,
  type Snapshot,
  type VrrpStateName,
} from './snapshot.js';

const STATES: VrrpStateName[] = ['init', 'backup', 'master', 'fault'];
const HEALTHS: RealServerHealth[] = ['up', 'down', 'unknown'];
const RELOAD_RESULTS: (keyof ReloadCounts)[] = ['ok', 'refused', 'error'];

/** Every known drop reason at 0, then the counted ones (unknown reasons included). */
function withKnownReasons(drops: Record<string, number> | undefined): [string, number][] {
  const all: Record<string, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0]));
  return Object.entries(Object.assign(all, drops));
}

export interface CheckObservation {
  /** VirtualServerStatus.key */
  virtualServer: string;
  /** 'address:port' */
  realServer: string;
  type: string;
  durationS: number;
  ok: boolean;
}

export interface Metrics {
  registry: Registry;
  /** Records one finished probe (latency histogram and result counter). */
  observeCheck(o: CheckObservation): void;
  /** Records how late (s) one periodic timer of the VRRP engine's own loop fired. */
  observeEngineLateness(seconds: number): void;
}

export interface MetricsOptions {
  /**
   * The current snapshot, or null before the daemon has one (then only process metrics).
   * May be async (the engine's part comes from its worker): it is called once per scrape.
   * A rejected promise yields a scrape without the snapshot's metrics.
   */
  snapshot: () => Snapshot | null | Promise<Snapshot | null>;
  /** Node/process metrics (default true; tests may turn them off). */
  processMetrics?: boolean;
}

/** the nodejs_eventloop_lag_* histogram's sampling interval (ms): one wake-up a second */
const EVENT_LOOP_SAMPLE_MS = 1000;

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  // The event-loop lag histogram samples with a repeating timer: prom-client's default
  // (10 ms) woke the main thread ~95 times a second for ever, metrics scraped or not.
  if (opts.processMetrics !== false)
    collectDefaultMetrics({
      register: registry,
      prefix: 'vrrpd_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });

  // prom-client starts every metric's collect() in the same tick: build the snapshot
  // once per scrape, not once per metric.
  let cached: Promise<Snapshot | null> | undefined;
  const current = (): Promise<Snapshot | null> => {
    if (cached === undefined) {
      cached = Promise.resolve()
        .then(() => opts.snapshot())
        .catch(() => null);
      setImmediate(() => {
        cached = undefined;
      });
    }
    return cached;
  };

  type Labels = Record<string, string>;
  type Sample = [Labels, number];
  const registers = [registry];

  /** A gauge whose samples are recomputed from the snapshot at each scrape. */
  function gauge(name: string, help: string, labelNames: string[], samples: (s: Snapshot) => Sample[]): void {
    new Gauge({
      name: `vrrpd_${name}`,
      help,
      labelNames,
      registers,
      async collect() {
        const s = await current();
        this.reset();
        if (s) for (const [labels, v] of samples(s)) this.set(labels, v);
      },
    });
  }

  /** A counter mirroring a cumulative counter of the snapshot. */
  function counter(
    name: string,
    help: string,
    labelNames: string[],
    samples: (s: Snapshot) => Sample[],
  ): void {
    new Counter({
      name: `vrrpd_${name}`,
      help,
      labelNames,
      registers,
      async collect() {
        const s = await current();
        this.reset();
        if (s) for (const [labels, v] of samples(s)) this.inc(labels, Math.max(0, v));
      },
    });
  }

  const perInstance = (pick: (i: Snapshot['instances'][number]) => number) => (s: Snapshot) =>
    s.instances.map((i): Sample => [{ instance: i.name }, pick(i)]);

  gauge('info', 'vrrpd version and router id', ['version', 'router_id'], (s) => [
    [{ version: s.daemon.softwareVersion, router_id: s.daemon.routerId }, 1],
  ]);
  gauge('config_last_reload_successful', '0 if the last reload was refused', [], (s) => [
    [{}, s.daemon.lastReload && !s.daemon.lastReload.ok ? 0 : 1],
  ]);
  counter('config_reloads_total', 'reload attempts by result (ok, refused, error)', ['result'], (s) =>
    RELOAD_RESULTS.map((r): Sample => [{ result: r }, s.daemon.reloads?.[r] ?? 0]),
  );
  gauge('config_loaded_timestamp_seconds', 'when the running configuration was loaded', [], (s) => [
    [{}, Date.parse(s.daemon.configLoadedAt) / 1000],
  ]);
  gauge('instance_state', 'VRRP state: 1 for the current state of the instance', ['instance', 'state'], (s) =>
    s.instances.flatMap((i) =>
      STATES.map((st): Sample => [{ instance: i.name, state: st }, i.state === st ? 1 : 0]),
    ),
  );
  gauge(
    'instance_priority',
    'configured VRRP priority',
    ['instance'],
    perInstance((i) => i.priority),
  );
  gauge(
    'instance_effective_priority',
    'VRRP priority after tracking weights',
    ['instance'],
    perInstance((i) => i.effectivePriority),
  );
  counter(
    'instance_transitions_total',
    'VRRP state changes',
    ['instance'],
    perInstance((i) => i.counters.transitions),
  );
  counter(
    'instance_became_master_total',
    'transitions to master',
    ['instance'],
    perInstance((i) => i.counters.becameMaster),
  );
  counter(
    'adverts_sent_total',
    'VRRP adverts sent',
    ['instance'],
    perInstance((i) => i.counters.advertsSent),
  );
  counter(
    'adverts_received_total',
    'VRRP adverts received and accepted',
    ['instance'],
    perInstance((i) => i.counters.advertsReceived),
  );
  counter(
    'priority_zero_sent_total',
    'priority-0 adverts sent (leaving master)',
    ['instance'],
    perInstance((i) => i.counters.priorityZeroSent),
  );
  counter(
    'priority_zero_received_total',
    'priority-0 adverts received',
    ['instance'],
    perInstance((i) => i.counters.priorityZeroReceived),
  );
  counter('drops_total', 'discarded VRRP adverts by reason (RFC 6527)', ['instance', 'reason'], (s) =>
    s.instances.flatMap((i) =>
      withKnownReasons(i.counters.drops).map(([reason, n]): Sample => [{ instance: i.name, reason }, n]),
    ),
  );
  counter('unmatched_drops_total', 'discarded VRRP packets not matching any instance', ['reason'], (s) =>
    withKnownReasons(s.globalDrops).map(([reason, n]): Sample => [{ reason }, n]),
  );
  const routerLabels = ['vrrp_instance', 'interface', 'vrid', 'family'];
  const routerOf = (i: Snapshot['instances'][number]): Labels => ({
    vrrp_instance: i.name,
    interface: i.interface,
    vrid: String(i.vrid),
    family: i.family === 6 ? 'ipv6' : 'ipv4',
  });
  gauge(
    'vrrp_instance_state',
    'VRRP state: 1 for the current state, labelled to identify the virtual router across directors',
    [...routerLabels, 'state'],
    (s) =>
      s.instances.flatMap((i) =>
        STATES.map((st): Sample => [{ ...routerOf(i), state: st }, i.state === st ? 1 : 0]),
      ),
  );
  counter(
    'vrrp_instance_transitions_total',
    'VRRP state changes, labelled to identify the virtual router across directors',
    routerLabels,
    (s) => s.instances.map((i): Sample => [routerOf(i), i.counters.transitions]),
  );
  gauge('vip_present', '1 when the virtual IP is on its device', ['instance', 'address'], (s) =>
    s.instances.flatMap((i) =>
      i.vips.map(
        (v): Sample => [{ instance: i.name, address: `${v.address}/${v.prefixLength}` }, v.present ? 1 : 0],
      ),
    ),
  );
  gauge('vrrp_script_up', '1 when the tracked script is ok', ['script'], (s) =>
    (s.vrrpScripts ?? []).map((sc): Sample => [{ script: sc.name }, sc.state === 'ok' ? 1 : 0]),
  );
  gauge(
    'announce_route_up',
    '1 while the address is announced over BGP (route in vrrpd table)',
    ['address'],
    (s) => (s.announce?.addresses ?? []).map((a): Sample => [{ address: a.address }, a.announced ? 1 : 0]),
  );
  counter('announce_withdrawals_total', 'announced routes withdrawn since start', [], (s) =>
    s.announce ? [[{}, s.announce.withdrawals]] : [],
  );
  gauge('virtual_server_quorum_up', '1 when enough real servers are healthy', ['virtual_server'], (s) =>
    s.virtualServers.map((vs): Sample => [{ virtual_server: vs.key }, vs.quorumUp ? 1 : 0]),
  );
  gauge('virtual_server_sorry_active', '1 when the sorry server is serving', ['virtual_server'], (s) =>
    s.virtualServers.map((vs): Sample => [{ virtual_server: vs.key }, vs.sorryActive ? 1 : 0]),
  );
  gauge('virtual_server_quorum', 'healthy real servers the virtual server needs', ['virtual_server'], (s) =>
    s.virtualServers.map((vs): Sample => [{ virtual_server: vs.key }, vs.quorum]),
  );
  type Real = Snapshot['virtualServers'][number]['realServers'][number];
  /** One or more samples per real server, labelled virtual_server and real_server. */
  const perRealSamples = (pick: (r: Real) => [Labels, number][]) => (s: Snapshot) =>
    s.virtualServers.flatMap((vs) =>
      vs.realServers.flatMap((r) =>
        pick(r).map(
          ([extra, v]): Sample => [
            { virtual_server: vs.key, real_server: endpointKey(r.address, r.port), ...extra },
            v,
          ],
        ),
      ),
    );
  const perReal = (pick: (r: Real) => number) => perRealSamples((r) => [[{}, pick(r)]]);
  const rsLabels = ['virtual_server', 'real_server'];
  gauge(
    'real_server_up',
    '1 when the real server is healthy',
    rsLabels,
    perReal((r) => (r.health === 'up' ? 1 : 0)),
  );
  gauge(
    'real_server_health',
    'real server health after rise/fall: 1 for the current one of up, down, unknown',
    [...rsLabels, 'health'],
    perRealSamples((r) => HEALTHS.map((h): Sample => [{ health: h }, r.health === h ? 1 : 0])),
  );
  gauge(
    'real_server_in_ipvs',
    '1 when the real server is in the IPVS table',
    rsLabels,
    perReal((r) => (r.inIpvs ? 1 : 0)),
  );
  gauge(
    'real_server_weight',
    'weight of the real server in the IPVS table',
    rsLabels,
    perReal((r) => r.ipvsWeight ?? 0),
  );

  const checkDuration = new Histogram({
    name: 'vrrpd_check_duration_seconds',
    help: 'health check probe latency',
    labelNames: ['virtual_server', 'real_server', 'type'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const checkResults = new Counter({
    name: 'vrrpd_check_results_total',
    help: 'health check probe results',
    labelNames: ['type', 'result'],
    registers,
  });

  const engineLateness = new Histogram({
    name: 'vrrpd_vrrp_engine_timer_lateness_seconds',
    help: "how late the VRRP engine worker's periodic timer fired (its event loop delay)",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });

  return {
    registry,
    observeEngineLateness(seconds) {
      engineLateness.observe(Math.max(0, seconds));
    },
    observeCheck(o) {
      checkDuration.observe(
        { virtual_server: o.virtualServer, real_server: o.realServer, type: o.type },
        Math.max(0, o.durationS),
      );
      checkResults.inc({ type: o.type, result: o.ok ? 'ok' : 'fail' });
    },
  };
}

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces); port 0 = any free port. Pure. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw Object.assign(
      new Error(`metrics_listen '${listen}' is not HOST:PORT (e.g. 127.0.0.1:9650 or [::1]:9650)`),
      { code: 'METRICS_BAD_LISTEN' },
    );
  }
  return { host: m[1] ?? (m[2] || '::'), port };
}

export interface MetricsServer {
  /** Where it actually listens (port resolved when 0 was asked). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Serves GET /metrics (and HEAD); everything else is 404, other methods on /metrics 405. */
export async function createMetricsServer(opts: {
  listen: string;
  registry: Registry;
}): Promise<MetricsServer> {
  const { host, port } = parseListen(opts.listen);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    try {
      const body = await opts.registry.metrics();
      res.writeHead(200, { 'content-type': opts.registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`metrics collection failed: ${(err as Error).message}\n`);
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    address: { host: addr.address, port: addr.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
