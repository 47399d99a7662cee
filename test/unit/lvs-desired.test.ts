// desiredTable(): config + health (+ kernel dump, + previous quorum) → IPVS table.
// One table per rule of src/lvs/desired.ts's header.
import { describe, expect, it } from 'vitest';
import type { Check, RealServer, VirtualServer } from '../../src/config/model.js';
import {
  desiredTable,
  type HealthOf,
  nextQuorumUp,
  type RealServerHealth,
  serviceOf,
  statusKey,
} from '../../src/lvs/desired.js';
import { buildTable, type IpvsTable } from '../../src/lvs/model.js';
import { reconcile } from '../../src/lvs/reconcile.js';

const CHECK: Check = {
  type: 'tcp',
  port: 80,
  intervalMs: 1000,
  timeoutMs: 1000,
  connectTimeoutMs: 1000,
  rise: 2,
  fall: 2,
  retry: 0,
  retryDelayMs: 0,
};

function rs(address: string, o: Partial<RealServer> = {}): RealServer {
  const family = address.includes(':') ? 6 : 4;
  const port = o.port ?? 80;
  return {
    key: family === 6 ? `[${address}]:${port}` : `${address}:${port}`,
    address,
    family,
    port,
    weight: 1,
    forwarding: 'nat',
    inhibitOnFailure: false,
    upperThreshold: 0,
    lowerThreshold: 0,
    check: CHECK,
    ...o,
  };
}

function vs(o: Partial<VirtualServer> = {}): VirtualServer {
  return {
    key: 'tcp:192.0.2.50:80',
    address: '192.0.2.50',
    port: 80,
    protocol: 'tcp',
    family: 4,
    scheduler: 'wrr',
    forwarding: 'nat',
    persistenceTimeoutS: 0,
    persistencePrefixLength: 32,
    flags: { ops: false, shFallback: false, shPort: false, mhFallback: false, mhPort: false },
    quorum: 1,
    hysteresis: 0,
    alpha: false,
    realServers: [rs('198.51.100.2'), rs('198.51.100.3')],
    ...o,
  };
}

const SK = 'tcp:192.0.2.50:80';

/** health by real server address; anything not listed is unknown */
function healthMap(m: Record<string, RealServerHealth>): HealthOf {
  return (_vs, rsKey) => m[rsKey.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')] ?? 'unknown';
}

/** the kernel having `dests` (address → weight) in the test service */
function kernel(v: VirtualServer, dests: Record<string, number>): IpvsTable {
  return buildTable([
    {
      service: serviceOf(v),
      dests: Object.entries(dests).map(([address, weight]) => ({
        family: 4 as const,
        address,
        port: 80,
        forwarding: 'nat' as const,
        weight,
        upperThreshold: 0,
        lowerThreshold: 0,
      })),
    },
  ]);
}

/** address → weight of the desired table's test service */
function weights(t: IpvsTable, sk = SK): Record<string, number> {
  const e = t.get(sk);
  if (!e) throw new Error(`no ${sk} in ${[...t.keys()].join(', ')}`);
  return Object.fromEntries([...e.dests.values()].map((d) => [d.address, d.weight]));
}

describe('desiredTable: real server health', () => {
  const cases: {
    name: string;
    health: Record<string, RealServerHealth>;
    kernel?: Record<string, number>;
    inhibit?: boolean;
    want: Record<string, number>;
    pending?: string[];
  }[] = [
    {
      name: 'both up',
      health: { '198.51.100.2': 'up', '198.51.100.3': 'up' },
      want: { '198.51.100.2': 1, '198.51.100.3': 1 },
    },
    {
      name: 'down is removed',
      health: { '198.51.100.2': 'up', '198.51.100.3': 'down' },
      want: { '198.51.100.2': 1 },
    },
    {
      name: 'inhibit_on_failure: down → weight 0',
      health: { '198.51.100.2': 'up', '198.51.100.3': 'down' },
      inhibit: true,
      want: { '198.51.100.2': 1, '198.51.100.3': 0 },
    },
    {
      name: 'unknown and in the kernel: kept as the kernel has it (weight 7), pending',
      health: { '198.51.100.2': 'up' },
      kernel: { '198.51.100.3': 7 },
      want: { '198.51.100.2': 1, '198.51.100.3': 7 },
      pending: ['198.51.100.3'],
    },
    {
      name: 'unknown and not in the kernel: not added',
      health: { '198.51.100.2': 'up' },
      kernel: {},
      want: { '198.51.100.2': 1 },
    },
    {
      name: 'unknown, absent, inhibit_on_failure: added at weight 0',
      health: { '198.51.100.2': 'up' },
      inhibit: true,
      want: { '198.51.100.2': 1, '198.51.100.3': 0 },
    },
    {
      name: 'down although in the kernel: removed (also at start)',
      health: { '198.51.100.2': 'up', '198.51.100.3': 'down' },
      kernel: { '198.51.100.2': 1, '198.51.100.3': 1 },
      want: { '198.51.100.2': 1 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = vs({
        realServers: [
          rs('198.51.100.2', { inhibitOnFailure: !!c.inhibit }),
          rs('198.51.100.3', { inhibitOnFailure: !!c.inhibit }),
        ],
      });
      const d = desiredTable([v], healthMap(c.health), c.kernel ? kernel(v, c.kernel) : new Map());
      expect(weights(d.table)).toEqual(c.want);
      expect([...d.pending].sort()).toEqual((c.pending ?? []).map((a) => `${SK}/${a}:80`));
    });
  }

  it('a real server without a check is up whatever the health function says', () => {
    const v = vs({ realServers: [rs('198.51.100.2', { check: undefined, weight: 4 })] });
    const d = desiredTable([v], () => 'down');
    expect(weights(d.table)).toEqual({ '198.51.100.2': 4 });
    expect(d.virtualServers.get(v.key)?.realServers.get('198.51.100.2:80')?.health).toBe('up');
  });

  it('restart: kernel-present unknown servers produce no ops; an absent one waits', () => {
    const v = vs({ realServers: [rs('198.51.100.2'), rs('198.51.100.3'), rs('198.51.100.4')] });
    const k = kernel(v, { '198.51.100.2': 1, '198.51.100.3': 5 });
    const d = desiredTable([v], () => 'unknown', k);
    expect(reconcile(d.table, k, { pending: d.pending })).toEqual([]);
    expect(d.virtualServers.get(v.key)?.quorumUp).toBe(true);
  });

  it('weights, thresholds, forwarding and tunnels come from the config', () => {
    const v = vs({
      forwarding: 'tun',
      realServers: [
        rs('198.51.100.2', { weight: 3, upperThreshold: 100, lowerThreshold: 10, forwarding: 'dr' }),
        rs('198.51.100.3', { forwarding: 'tun', tunnel: { type: 'gue', port: 6080 } }),
      ],
    });
    const d = desiredTable([v], () => 'up');
    const dests = [...(d.table.get(SK)?.dests.values() ?? [])];
    expect(dests).toEqual([
      {
        family: 4,
        address: '198.51.100.2',
        port: 80,
        forwarding: 'dr',
        weight: 3,
        upperThreshold: 100,
        lowerThreshold: 10,
      },
      {
        family: 4,
        address: '198.51.100.3',
        port: 80,
        forwarding: 'tun',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        tunType: 'gue',
        tunPort: 6080,
        tunFlags: 0,
      },
    ]);
  });
});

describe('desiredTable: services', () => {
  it('address service settings: scheduler, persistence, flags', () => {
    const v = vs({
      protocol: 'udp',
      key: 'udp:192.0.2.50:53',
      port: 53,
      scheduler: 'mh',
      persistenceTimeoutS: 300,
      persistencePrefixLength: 24,
      flags: { ops: true, shFallback: false, shPort: false, mhFallback: true, mhPort: true },
    });
    const d = desiredTable([v], () => 'up');
    expect(d.table.get('udp:192.0.2.50:53')?.service).toEqual({
      family: 4,
      protocol: 'udp',
      address: '192.0.2.50',
      port: 53,
      scheduler: 'mh',
      flags: { persistent: true, onePacket: true, shFallback: true, shPort: true, sched3: false },
      timeoutS: 300,
      netmask: 24,
    });
  });

  it('fwmark services (IPv4 and IPv6) with port-less real servers', () => {
    const v4 = vs({
      key: 'fwmark:10:4',
      address: undefined,
      port: undefined,
      fwmark: 10,
      realServers: [rs('198.51.100.2', { port: 0 })],
    });
    const v6 = vs({
      key: 'fwmark:10:6',
      address: undefined,
      port: undefined,
      fwmark: 10,
      family: 6,
      persistencePrefixLength: 128,
      realServers: [rs('2001:db8::2', { port: 0, weight: 2 })],
    });
    const d = desiredTable([v4, v6], () => 'up');
    expect([...d.table.keys()]).toEqual(['fwmark:4:10', 'fwmark:6:10']);
    expect(d.table.get('fwmark:4:10')?.service).toMatchObject({ protocol: null, fwmark: 10, family: 4 });
    expect(d.table.get('fwmark:4:10')?.service.address).toBeUndefined();
    expect(weights(d.table, 'fwmark:6:10')).toEqual({ '2001:db8::2': 2 });
    expect([...(d.table.get('fwmark:6:10')?.dests.keys() ?? [])]).toEqual(['[2001:db8::2]:0']);
    expect(statusKey(v4)).toBe('fwmark/10');
    expect(statusKey(v6)).toBe('fwmark/10/6');
  });

  it('IPv6 address service: canonical keys, status key', () => {
    const v = vs({
      key: 'tcp:[2001:db8::50]:443',
      address: '2001:db8::50',
      port: 443,
      family: 6,
      persistencePrefixLength: 128,
      realServers: [rs('2001:db8::2', { port: 443 }), rs('2001:db8::3', { port: 443 })],
    });
    const d = desiredTable([v], (_v, r) => (r === '[2001:db8::2]:443' ? 'up' : 'down'));
    expect([...(d.table.get('tcp:[2001:db8::50]:443')?.dests.keys() ?? [])]).toEqual(['[2001:db8::2]:443']);
    expect(statusKey(v)).toBe('tcp/[2001:db8::50]:443');
    expect(d.virtualServers.get(v.key)?.serviceKey).toBe('tcp:[2001:db8::50]:443');
  });
});

describe('quorum (keepalived: sum of healthy weights, with hysteresis)', () => {
  const q = { quorum: 4, hysteresis: 1 };
  const cases: [boolean | undefined, number, number, boolean, string][] = [
    [undefined, 4, 4, true, 'first evaluation: at quorum is up'],
    [undefined, 3, 3, false, 'first evaluation: below quorum is down (no hysteresis)'],
    [undefined, 0, 4, true, 'first evaluation: unknown servers count at their weight'],
    [true, 3, 3, true, 'up stays up down to quorum - hysteresis'],
    [true, 2, 2, false, 'up is lost below quorum - hysteresis'],
    [true, 2, 5, true, 'losing is judged with unknown servers counted (no loss before first results)'],
    [false, 4, 4, false, 'down stays down below quorum + hysteresis'],
    [false, 5, 5, true, 'down comes back at quorum + hysteresis'],
    [false, 3, 9, false, 'coming back needs known-healthy weight, not possible weight'],
  ];
  for (const [prev, healthy, possible, want, name] of cases) {
    it(name, () => expect(nextQuorumUp(q, prev, healthy, possible)).toBe(want));
  }
  it('a zero sum always loses the quorum, even with quorum 0', () => {
    expect(nextQuorumUp({ quorum: 0, hysteresis: 0 }, true, 0, 0)).toBe(false);
    expect(nextQuorumUp({ quorum: 0, hysteresis: 0 }, undefined, 0, 0)).toBe(false);
  });

  it('hysteresis through desiredTable: weights 1+1+1, quorum 2, hysteresis 1', () => {
    const v = vs({
      quorum: 2,
      hysteresis: 1,
      realServers: [rs('198.51.100.2'), rs('198.51.100.3'), rs('198.51.100.4')],
    });
    const run = (up: string[], prev?: boolean) =>
      desiredTable(
        [v],
        (_v, r) => (up.some((a) => r.startsWith(a)) ? 'up' : 'down'),
        new Map(),
        new Map(prev === undefined ? [] : [[v.key, prev]]),
      ).virtualServers.get(v.key)?.quorumUp;
    expect(run(['198.51.100.2', '198.51.100.3'])).toBe(true);
    expect(run(['198.51.100.2'], true)).toBe(true); // 1 >= 2-1
    expect(run([], true)).toBe(false);
    expect(run(['198.51.100.2', '198.51.100.3'], false)).toBe(false); // 2 < 2+1
    expect(run(['198.51.100.2', '198.51.100.3', '198.51.100.4'], false)).toBe(true);
  });
});

describe('sorry server', () => {
  const sorry = { address: '198.51.100.99', port: 8080, forwarding: 'nat' as const, inhibit: false };

  it('all real servers down: the sorry server is in with weight 1', () => {
    const v = vs({ sorryServer: sorry });
    const d = desiredTable([v], () => 'down', new Map(), new Map([[v.key, true]]));
    expect(weights(d.table)).toEqual({ '198.51.100.99': 1 });
    expect(d.table.get(SK)?.dests.get('198.51.100.99:8080')?.port).toBe(8080);
    expect(d.virtualServers.get(v.key)).toMatchObject({
      quorumUp: false,
      sorryActive: true,
      healthyWeight: 0,
    });
  });

  it('quorum lost while some are up: the sorry server takes new connections, live ones go to weight 0', () => {
    const v = vs({
      quorum: 2,
      sorryServer: sorry,
      realServers: [rs('198.51.100.2'), rs('198.51.100.3', { inhibitOnFailure: true }), rs('198.51.100.4')],
    });
    const d = desiredTable(
      [v],
      (_v, r) => (r.startsWith('198.51.100.2') ? 'up' : 'down'), // .3 (inhibit) and .4 down
      new Map(),
      new Map([[v.key, true]]),
    );
    expect(weights(d.table)).toEqual({ '198.51.100.2': 0, '198.51.100.3': 0, '198.51.100.99': 1 });
  });

  it('quorum lost without a sorry server: the healthy ones keep serving', () => {
    const v = vs({ quorum: 2 });
    const d = desiredTable(
      [v],
      (_v, r) => (r.startsWith('198.51.100.2') ? 'up' : 'down'),
      new Map(),
      new Map([[v.key, true]]),
    );
    expect(weights(d.table)).toEqual({ '198.51.100.2': 1 });
    expect(d.virtualServers.get(v.key)).toMatchObject({ quorumUp: false, sorryActive: false });
  });

  it('quorum back: sorry server out; with sorry inhibit it stays at weight 0', () => {
    const v = vs({ sorryServer: sorry });
    const up = desiredTable([v], () => 'up', new Map(), new Map([[v.key, false]]));
    expect(weights(up.table)).toEqual({ '198.51.100.2': 1, '198.51.100.3': 1 });
    const vi = vs({ sorryServer: { ...sorry, inhibit: true } });
    const upi = desiredTable([vi], () => 'up', new Map(), new Map([[vi.key, false]]));
    expect(weights(upi.table)).toEqual({ '198.51.100.2': 1, '198.51.100.3': 1, '198.51.100.99': 0 });
  });

  it('kernel-present unknown servers keep the quorum at start; sorry stays out', () => {
    const v = vs({ sorryServer: sorry });
    const k = kernel(v, { '198.51.100.2': 1 });
    const d = desiredTable([v], () => 'unknown', k);
    expect(weights(d.table)).toEqual({ '198.51.100.2': 1 });
    expect(d.virtualServers.get(v.key)?.sorryActive).toBe(false);
  });

  it('sorry server already in the kernel while the quorum is up is removed by reconcile', () => {
    const v = vs({ sorryServer: { ...sorry, port: 80 } });
    const k = kernel(v, { '198.51.100.2': 1, '198.51.100.3': 1, '198.51.100.99': 1 });
    const d = desiredTable([v], () => 'up', k, new Map([[v.key, false]]));
    const ops = reconcile(d.table, k, { pending: d.pending });
    expect(ops.map((o) => `${o.op} ${'dest' in o ? o.dest.address : ''}`)).toEqual([
      'delete-dest 198.51.100.99',
    ]);
  });
});
