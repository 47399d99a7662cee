// A reload through the changed items (src/config/incremental.ts) gives the configuration a
// whole read gives, or null (then the daemon reads the whole file): random edits of the
// virtual_servers list, and the cases it must leave to the whole read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configFromChangedItems, splitVirtualServers } from '../../src/config/incremental.js';
import { type Config, parseConfigText } from '../../src/config/index.js';

const HEAD = `global:
  router_id: t
vrrp_instances:
  - {name: VI_1, interface: eth0, vrid: 51, priority: 100, virtual_ips: [192.0.2.50/24]}
# the LVS side
virtual_servers:
`;
const TAIL = `lvs_timeouts:
  tcp: 900s
`;

interface Item {
  vs: number;
  reals: number[];
  weight: number;
  check: boolean;
}

function itemText(it: Item): string {
  const out = [
    `  - address: 203.0.113.${it.vs}`,
    '    port: 80',
    '    protocol: tcp',
    '    scheduler: wrr',
    '    real_servers:',
  ];
  for (const r of it.reals) {
    out.push(`      - address: 198.51.100.${r}`, '        port: 80', `        weight: ${it.weight}`);
    if (it.check) out.push('        check: {type: tcp}');
  }
  return out.join('\n');
}

const fileOf = (items: Item[], tail = TAIL) => `${HEAD}${items.map(itemText).join('\n')}\n${tail}`;

function load(text: string): Config {
  const r = parseConfigText(text, 'f.yaml', { hostname: 'h' });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const item = fc.record({
  vs: fc.integer({ min: 1, max: 12 }),
  reals: fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
  weight: fc.integer({ min: 0, max: 4 }),
  check: fc.boolean(),
});
const items = fc.uniqueArray(item, { minLength: 1, maxLength: 6, selector: (i) => i.vs });

describe('reload through the changed items', () => {
  it('equals the whole read, or declines (random edits, moves, additions, removals)', () => {
    let used = 0;
    fc.assert(
      fc.property(items, items, fc.boolean(), (a, b, keepSome) => {
        // keep some of a's items verbatim in b, to exercise reuse
        const next = keepSome ? [...b.filter((x) => !a.some((y) => y.vs === x.vs)), ...a.slice(0, 2)] : b;
        const prevText = fileOf(a);
        const prev = { text: prevText, config: load(prevText) };
        const text = fileOf(next);
        const got = configFromChangedItems(prev, text, 'f.yaml', { hostname: 'h' });
        const whole = parseConfigText(text, 'f.yaml', { hostname: 'h' });
        if (got === null) return;
        used++;
        expect(whole.ok).toBe(true);
        if (whole.ok) expect(got).toEqual(whole.config);
      }),
      { numRuns: 150 },
    );
    // not vacuous: most edits go through the changed items
    expect(used).toBeGreaterThan(100);
  });

  it('reuses the unchanged virtual servers and parses one changed item', () => {
    const a: Item[] = [1, 2, 3].map((vs) => ({ vs, reals: [1, 2], weight: 1, check: false }));
    const prevText = fileOf(a);
    const prev = { text: prevText, config: load(prevText) };
    const b = a.map((x) => (x.vs === 3 ? { ...x, weight: 7 } : x));
    const got = configFromChangedItems(prev, fileOf(b), 'f.yaml', { hostname: 'h' });
    expect(got).not.toBeNull();
    expect(got!.virtualServers[0]).toBe(prev.config.virtualServers[0]);
    expect(got!.virtualServers[1]).toBe(prev.config.virtualServers[1]);
    expect(got!.virtualServers[2]!.realServers[0]!.weight).toBe(7);
    expect(got!.vrrpInstances).toBe(prev.config.vrrpInstances);
    expect(Object.isFrozen(got)).toBe(true);
  });

  it('declines what it cannot judge: other sections changed, errors, duplicates, anchors, flow style', () => {
    const a: Item[] = [1, 2].map((vs) => ({ vs, reals: [1], weight: 1, check: false }));
    const prevText = fileOf(a);
    const prev = { text: prevText, config: load(prevText) };
    const opts = { hostname: 'h' };
    // another section
    expect(
      configFromChangedItems(prev, fileOf(a, 'lvs_timeouts:\n  tcp: 901s\n'), 'f.yaml', opts),
    ).toBeNull();
    // a bad value in a changed item: the whole read reports it with its position
    expect(
      configFromChangedItems(prev, fileOf(a).replace('weight: 1', 'weight: -1'), 'f.yaml', opts),
    ).toBeNull();
    // a changed item now has the key of an unchanged one
    const dup = fileOf([a[0]!, { ...a[0]!, weight: 3 }]);
    expect(configFromChangedItems(prev, dup, 'f.yaml', opts)).toBeNull();
    // anchors and aliases
    expect(
      configFromChangedItems(prev, fileOf(a).replace('scheduler: wrr', 'scheduler: &s wrr'), 'f.yaml', opts),
    ).toBeNull();
    // flow style, and another file name
    expect(
      configFromChangedItems(
        prev,
        `${HEAD.replace('virtual_servers:\n', '')}virtual_servers: []\n`,
        'f.yaml',
        opts,
      ),
    ).toBeNull();
    expect(configFromChangedItems(prev, fileOf(a), 'g.yaml', opts)).toBeNull();
    // the same text: the same configuration
    expect(configFromChangedItems(prev, prevText, 'f.yaml', opts)).toBe(prev.config);
  });

  it('cuts the file around the items (comments stay with the item before them)', () => {
    const s = splitVirtualServers('a: 1\nvirtual_servers:\n# c\n- x: 1\n  y: 2\n# d\n- x: 3\nz: 4\n');
    expect(s).toEqual({
      head: 'a: 1\nvirtual_servers:\n# c\n',
      items: ['- x: 1\n  y: 2\n# d', '- x: 3\n'],
      tail: 'z: 4\n',
    });
    expect(splitVirtualServers('virtual_servers: [a]\n')).toBeNull();
    expect(splitVirtualServers('virtual_servers:\n  - a\nvirtual_servers:\n  - b\n')).toBeNull();
    // indented items: the list ends at the next key, comments and blank lines stay in it
    expect(splitVirtualServers('virtual_servers:\n  - a: 1\n\n    b: 2\n# x\n  - c\nz: 1\n')?.items).toEqual([
      '  - a: 1\n\n    b: 2\n# x',
      '  - c\n',
    ]);
  });
});
