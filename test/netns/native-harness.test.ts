// The namespace harness itself (test/helpers/netns.ts): reachability over the bridge,
// spawn/kill by PID, link and carrier control, and cleanup that leaves nothing behind.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createTopology, listNamespaces, type Topology } from '../helpers/netns.js';

const execFileP = promisify(execFile);
const skip = missing({ root: true, commands: ['ip', 'ping'] });

describe.skipIf(skip)('netns topology harness', () => {
  const made: Topology[] = [];
  afterAll(async () => {
    for (const t of made) await t.cleanup();
  });

  it('builds hosts on a bridge in its own namespace, and removes them all', async () => {
    const t0 = performance.now();
    const topo = await createTopology({ hosts: ['a', 'b', 'c'] });
    made.push(topo);
    const setupMs = performance.now() - t0;
    expect(await listNamespaces(topo.prefix)).toHaveLength(4);
    expect(topo.bridgeNs).toBe(`${topo.prefix}br`);
    // the bridge is not in the root namespace
    const root = await topo.execBridge(['ip', '-o', 'link', 'show', 'br0']);
    expect(root.code).toBe(0);
    await topo.exec('a', ['ping', '-c1', '-W2', topo.host('c').ipv4]);
    await topo.exec('a', ['ping', '-6', '-c1', '-W2', topo.host('b').ipv6]);
    const ll = await topo.linkLocal('b');
    expect(ll).toMatch(/^fe80::/);
    await topo.exec('a', ['ping', '-6', '-c1', '-W2', `${ll}%eth0`]);
    const t1 = performance.now();
    await topo.cleanup();
    await topo.cleanup(); // idempotent
    console.log(
      `topology of 3 hosts: setup ${setupMs.toFixed(0)} ms, cleanup ${(performance.now() - t1).toFixed(0)} ms`,
    );
    expect(await listNamespaces(topo.prefix)).toEqual([]);
  });

  it('spawns tracked processes, kills them by PID, and controls links and carrier', async () => {
    const topo = await createTopology({ hosts: ['a', 'b'] });
    made.push(topo);
    const child = topo.spawn('a', ['sleep', '300']);
    expect(child.pid).toBeGreaterThan(0);
    const exited = new Promise((r) => child.once('exit', r));
    await topo.kill(child);
    await exited;
    const stray = topo.spawn('b', ['sleep', '300']); // left for cleanup() to kill
    await topo.linkDown('a');
    expect((await topo.exec('a', ['ip', '-o', 'link', 'show', 'eth0'])).stdout).not.toMatch(/[<,]UP[,>]/);
    await topo.linkUp('a');
    await topo.portDown('b');
    expect((await topo.exec('b', ['ip', '-o', 'link', 'show', 'eth0'])).stdout).toMatch(/NO-CARRIER/);
    await topo.portUp('b');
    const bad = await topo.exec('a', ['false'], { allowFail: true });
    expect(bad.code).not.toBe(0);
    await expect(topo.exec('a', ['false'])).rejects.toThrow(/exited/);
    await topo.cleanup();
    expect(stray.exitCode !== null || stray.signalCode !== null).toBe(true);
    expect(await listNamespaces(topo.prefix)).toEqual([]);
  });

  it('cleans up after a failure half-way through setup', async () => {
    const prefix = `vt${process.pid}zz-`;
    await expect(createTopology({ prefix, hosts: ['a', 'a'] })).rejects.toThrow(/given twice/);
    // a namespace in the way of host b: setup fails after the bridge and host a exist
    await execFileP('ip', ['netns', 'add', `${prefix}b`]);
    try {
      await expect(createTopology({ prefix, hosts: ['a', 'b'] })).rejects.toThrow();
      expect(await listNamespaces(prefix)).toEqual([`${prefix}b`]);
    } finally {
      await execFileP('ip', ['netns', 'del', `${prefix}b`]);
    }
    expect(await listNamespaces(prefix)).toEqual([]);
  });
});
