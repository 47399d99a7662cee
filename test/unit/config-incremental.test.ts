// A reload through the changed items (src/config/incremental.ts) gives the configuration a
// whole read gives, or null (then the daemon reads the whole file): random edits of the
// virtual_servers list, and the cases it must leave to the whole read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  configFromChangedBytes,
  type LoadedBytes,
  parseConfigBytes,
  splitVirtualServers,
} from '../../src/config/incremental.js';
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
    // multi-byte characters: the kept cut counts bytes, not characters
    ...(it.vs % 2 === 0 ? ['    # service n° ' + it.vs + ' — café'] : []),
    '    real_servers:',
  ];
  for (const r of it.reals) {
    out.push(`      - address: 198.51.100.${r}`, '        port: 80', `        weight: ${it.weight}`);
    if (it.check) out.push('        check: {type: tcp}');
  }
  return out.join('\n');
}

const fileOf = (items: Item[], tail = TAIL) => `${HEAD}${items.map(itemText).join('\n')}\n${tail}`;

/** A whole read, keeping the cut for the next one. */
function load(text: string): LoadedBytes {
  const bytes = Buffer.from(text);
  const r = parseConfigBytes(bytes, 'f.yaml', { hostname: 'h' });
  if (!r?.ok) throw new Error(JSON.stringify(r));
  return { bytes, config: r.config };
}

const changed = (prev: LoadedBytes, text: string, file = 'f.yaml'): Config | null =>
  configFromChangedBytes(prev, Buffer.from(text), file, { hostname: 'h' });

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
        const prev = load(fileOf(a));
        const text = fileOf(next);
        const got = changed(prev, text);
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
    const prev = load(fileOf(a));
    const b = a.map((x) => (x.vs === 3 ? { ...x, weight: 7 } : x));
    const got = changed(prev, fileOf(b));
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
    const prev = load(prevText);
    // another section
    expect(changed(prev, fileOf(a, 'lvs_timeouts:\n  tcp: 901s\n'))).toBeNull();
    // a bad value in a changed item: the whole read reports it with its position
    expect(changed(prev, fileOf(a).replace('weight: 1', 'weight: -1'))).toBeNull();
    // a changed item now has the key of an unchanged one
    const dup = fileOf([a[0]!, { ...a[0]!, weight: 3 }]);
    expect(changed(prev, dup)).toBeNull();
    // anchors and aliases
    expect(changed(prev, fileOf(a).replace('scheduler: wrr', 'scheduler: &s wrr'))).toBeNull();
    // flow style, and another file name
    expect(changed(prev, `${HEAD.replace('virtual_servers:\n', '')}virtual_servers: []\n`)).toBeNull();
    // every item removed
    expect(changed(prev, `${HEAD}${TAIL}`)).toBeNull();
    expect(changed(prev, fileOf(a), 'g.yaml')).toBeNull();
    // the same text: the same configuration
    expect(changed(prev, prevText)).toBe(prev.config);
  });

  it('one reload after another keeps cutting right (the kept cut follows each change)', () => {
    let items: Item[] = [1, 2, 3, 4].map((vs) => ({ vs, reals: [1, 2], weight: 1, check: false }));
    let prev = load(fileOf(items));
    const steps: ((xs: Item[]) => Item[])[] = [
      (xs) => xs.map((x) => (x.vs === 2 ? { ...x, weight: 4, reals: [1, 2, 3] } : x)),
      (xs) => [...xs, { vs: 9, reals: [5], weight: 2, check: true }],
      (xs) => xs.filter((x) => x.vs !== 1),
      (xs) => [{ vs: 7, reals: [6], weight: 1, check: false }, ...xs],
      (xs) => xs.map((x) => (x.vs === 9 ? { ...x, weight: 0 } : x)),
    ];
    for (const step of steps) {
      items = step(items);
      const text = fileOf(items);
      const got = changed(prev, text);
      expect(got).not.toBeNull();
      const whole = parseConfigText(text, 'f.yaml', { hostname: 'h' });
      expect(whole.ok && got).toEqual(whole.ok ? whole.config : null);
      prev = { bytes: Buffer.from(text), config: got! };
    }
  });

  it('cuts the file around the items (comments stay with the item before them)', () => {
    const s = splitVirtualServers('a: 1\nvirtual_servers:\n# c\n- x: 1\n  y: 2\n# d\n- x: 3\nz: 4\n');
    expect(s).toEqual({
      head: 'a: 1\nvirtual_servers:\n# c\n',
      items: ['- x: 1\n  y: 2\n# d\n', '- x: 3\n'],
      tail: 'z: 4\n',
      indent: 0,
    });
    expect(splitVirtualServers('virtual_servers: [a]\n')).toBeNull();
    expect(splitVirtualServers('virtual_servers:\n  - a\nvirtual_servers:\n  - b\n')).toBeNull();
    // indented items: the list ends at the next key, comments and blank lines stay in it
    expect(splitVirtualServers('virtual_servers:\n  - a: 1\n\n    b: 2\n# x\n  - c\nz: 1\n')?.items).toEqual([
      '  - a: 1\n\n    b: 2\n# x\n',
      '  - c\n',
    ]);
  });
});
