// RFC 5798 §6.4.3 Accept_Mode: which VIPs the engine asks the nftables filter to drop
// (non-owner masters with accept off, and only while master), and the nft script the
// filter writes (checked by `nft -c` when root and nft are there).
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptFilterScript, createAcceptFilter } from '../../src/effects/accept-filter.js';
import type { AcceptDrop, AcceptFilter } from '../../src/effects/types.js';
import { hasCommand, inCI, isRoot } from '../helpers/env.js';
import { FakeClock, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

class FakeFilter implements AcceptFilter {
  readonly table = 'inet vrrpd';
  readonly calls: AcceptDrop[][] = [];
  fail = false;
  async apply(drops: readonly AcceptDrop[]): Promise<void> {
    this.calls.push([...drops]);
    if (this.fail) throw new Error('nft -f - exited 1: boom');
  }
  get last(): AcceptDrop[] | undefined {
    return this.calls.at(-1);
  }
}

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

async function node(lines: string[], filter: FakeFilter) {
  const n = new Node('A', new FakeClock(), loadConfig(yaml('vrrp_instances:', ...lines)), {
    primary4: '192.0.2.1',
    primary6: 'fe80::1',
    acceptFilter: filter,
  });
  nodes.push(n);
  await n.engine.start();
  return n;
}

describe('Accept_Mode drops', () => {
  it('a stale table is cleared at start; a non-owner master with accept off drops its VIPs while master only', async () => {
    const f = new FakeFilter();
    const n = await node(
      instanceYaml({ priority: 100, vips: ['192.0.2.50/24', '192.0.2.51/24'], extra: ['accept: false'] }),
      f,
    );
    expect(f.calls[0]).toEqual([]); // start: whatever an earlier run left goes
    await n.clock.advance(10_000);
    expect(await n.state('VI_1')).toBe('master');
    expect(f.last).toEqual([
      { instance: 'VI_1', family: 4, address: '192.0.2.50' },
      { instance: 'VI_1', family: 4, address: '192.0.2.51' },
    ]);
    const snap = await n.engine.snapshot();
    expect(snap.acceptFilter).toEqual({ table: 'inet vrrpd', drops: f.last, error: null });
    n.links.setCarrier('eth0', false); // → FAULT: no longer master, no drops
    await n.clock.advance(10);
    expect(await n.state('VI_1')).toBe('fault');
    expect(f.last).toEqual([]);
    n.links.setCarrier('eth0', true);
    await n.clock.advance(10_000);
    expect(f.last).toHaveLength(2);
    await n.engine.stop();
    expect(f.last).toEqual([]); // stop removes the table
  });

  it('the drops are in place before the new master adds its VIPs (no window)', async () => {
    const f = new FakeFilter();
    const seen: boolean[] = [];
    let n: Node | undefined;
    const apply = f.apply.bind(f);
    f.apply = async (drops) => {
      if (drops.length > 0) seen.push(n!.addresses.has('eth0', '192.0.2.50'));
      await new Promise((r) => setTimeout(r, 5)); // nft takes a while
      return apply(drops);
    };
    n = await node(instanceYaml({ priority: 100, extra: ['accept: false'] }), f);
    await n.clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(await n.state('VI_1')).toBe('master');
    expect(seen).toEqual([false]);
    expect(n.addresses.has('eth0', '192.0.2.50')).toBe(true);
  });

  it('accept on (the default, as keepalived) and the address owner never drop', async () => {
    const f = new FakeFilter();
    const n = await node(
      [
        ...instanceYaml({ name: 'ON', vrid: 51, priority: 100, vips: ['192.0.2.50/24'] }),
        ...instanceYaml({
          name: 'OWNER',
          vrid: 52,
          priority: 255,
          vips: ['192.0.2.60/24'],
          extra: ['accept: false'],
        }),
      ],
      f,
    );
    await n.clock.advance(10_000);
    expect(await n.state('ON')).toBe('master');
    expect(await n.state('OWNER')).toBe('master');
    expect(f.calls.every((c) => c.length === 0)).toBe(true);
  });

  it('a reload that turns accept off while master adds the drops; a failed nft is reported', async () => {
    const f = new FakeFilter();
    const n = await node(instanceYaml({ priority: 100, vips: ['2001:db8::50/64'] }), f);
    await n.clock.advance(10_000);
    expect(f.last).toEqual([]);
    f.fail = true;
    await n.reload(
      loadConfig(
        yaml(
          'vrrp_instances:',
          ...instanceYaml({ priority: 100, vips: ['2001:db8::50/64'], extra: ['accept: false'] }),
        ),
      ),
    );
    expect(f.last).toEqual([{ instance: 'VI_1', family: 6, address: '2001:db8::50' }]);
    const snap = await n.engine.snapshot();
    expect(snap.acceptFilter?.error).toMatch(/boom/);
    expect(n.logs.some((l) => l.obj.code === 'VRRP_ACCEPT_FILTER_FAILED')).toBe(true);
  });
});

describe('the nft script', () => {
  const drops: AcceptDrop[] = [
    { instance: 'VI_1', family: 4, address: '192.0.2.50' },
    { instance: 'VI_6', family: 6, address: '2001:db8::50' },
  ];

  it('replaces the table in one transaction, one counted drop per VIP, ND still answered', () => {
    const s = acceptFilterScript(drops);
    expect(s.startsWith('table inet vrrpd\ndelete table inet vrrpd\ntable inet vrrpd {')).toBe(true);
    expect(s).toContain('type filter hook input priority filter; policy accept;');
    expect(s).toContain('ip daddr 192.0.2.50 counter drop comment "VI_1: master, accept off"');
    expect(s).toContain('ip6 daddr 2001:db8::50 counter drop comment "VI_6: master, accept off"');
    expect(s.indexOf('nd-neighbor-solicit')).toBeLessThan(s.indexOf('ip6 daddr'));
    expect(acceptFilterScript([])).toBe('table inet vrrpd\ndelete table inet vrrpd\n');
    expect(acceptFilterScript([drops[0]!])).not.toContain('icmpv6');
  });

  const why = !isRoot() ? 'needs root' : !hasCommand('nft') ? "needs the 'nft' command" : null;
  if (why && inCI) throw new Error(`test prerequisite missing in CI: ${why}`);
  it.skipIf(why !== null)('nft -c accepts the scripts', () => {
    for (const d of [drops, [drops[0]!], []]) {
      execFileSync('nft', ['-c', '-f', '-'], {
        input: acceptFilterScript(d),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    }
  });
});

describe('without nft', () => {
  it('nothing to remove is no error; drops are refused with a clear reason', async () => {
    const f = createAcceptFilter({ nft: '/nonexistent/nft' });
    await expect(f.apply([])).resolves.toBeUndefined();
    await expect(f.apply([{ instance: 'VI_1', family: 4, address: '192.0.2.50' }])).rejects.toThrow(
      /is not installed \(the nftables package\)/,
    );
  });
});
