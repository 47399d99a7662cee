// rtnetlink against the real kernel, inside a namespace this test creates.
// Node cannot switch namespaces per thread, so the netlink work runs in a child process
// started with `ip netns exec`, driven over stdin/stdout with one JSON object per line.
// Oracle: `ip -j` in the same namespace.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';

const skip = missing({ root: true, commands: ['ip'] });
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NS = `v${process.pid}rtnl`;
const src = (p: string) => JSON.stringify(join(ROOT, 'src', p));

// The child: an AddressManager, a LinkWatcher (events streamed), vmac helpers.
const CHILD = `
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { createAddressManager } from ${src('effects/address-manager.ts')};
import { createLinkWatcher } from ${src('effects/link-watcher.ts')};
import { createVmac, deleteLink, setLinkUp } from ${src('effects/vmac.ts')};
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const am = createAddressManager();
const w = createLinkWatcher();
w.onEvent((ev) => out({ event: ev }));
let small;
const ops = {
  ready: () => w.ready,
  add: (a) => am.add(a.ifname, a.address, a.prefix),
  remove: (a) => am.remove(a.ifname, a.address, a.prefix),
  list: (a) => am.list(a.ifname),
  // A takeover or stop of many instances at once: every add (or remove) requested together.
  burst: async (a) => {
    const r = await Promise.allSettled(a.addresses.map((x) => a.remove ? am.remove(a.ifname, x, a.prefix) : am.add(a.ifname, x, a.prefix)));
    return r.filter((x) => x.status === 'rejected').map((x) => String(x.reason)).slice(0, 5).concat(String(r.filter((x) => x.status === 'rejected').length));
  },
  links: () => w.links(),
  createVmac: (a) => createVmac(a.parent, a.name, a.mac, { mode: a.mode }),
  deleteLink: (a) => deleteLink(a.name),
  setLinkUp: (a) => setLinkUp(a.name, a.up),
  // A watcher with a tiny receive buffer, then a burst of changes while the event loop is
  // blocked (execFileSync): the kernel must drop notifications (ENOBUFS) and the watcher
  // must recover by re-dumping.
  flood: async (a) => {
    small = createLinkWatcher({ rcvbufBytes: 4096 });
    const seen = new Set();
    small.onEvent((ev) => { if (ev.type === 'address-added') seen.add(ev.address.address); });
    await small.ready;
    execFileSync('ip', ['-batch', '-'], { input: a.batch });
    const t0 = Date.now();
    while (small.stats().resyncs < 1 && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const st = small.stats();
    // and it keeps reporting afterwards
    let removedAfter = false;
    small.onEvent((ev) => { if (ev.type === 'address-removed' && ev.address.address === a.probe) removedAfter = true; });
    execFileSync('ip', ['addr', 'del', a.probe + '/128', 'dev', a.ifname]);
    const t1 = Date.now();
    while (!removedAfter && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 20));
    small.close();
    return { ...st, seen: [...seen], removedAfter };
  },
};
const rl = createInterface({ input: process.stdin });
// stdin closing (the test ending) closes the sockets so the process exits
rl.on('close', () => { w.close(); am.close(); small?.close(); });
rl.on('line', async (line) => {
  const m = JSON.parse(line);
  try {
    out({ id: m.id, ok: true, result: (await ops[m.op](m)) ?? null });
  } catch (e) {
    out({ id: m.id, ok: false, error: { code: e.code, message: e.message } });
  }
});
`;

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}
type Ev = { type: string; [k: string]: unknown };

let child: ChildProcess | undefined;
let dir = '';
const events: Ev[] = [];
const waiting = new Map<number, (r: Reply) => void>();
let nextId = 1;

function ip(...args: string[]): string {
  return execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8' });
}
function ipj(...args: string[]): unknown[] {
  return JSON.parse(execFileSync('ip', ['-n', NS, '-j', ...args], { encoding: 'utf8' }) || '[]');
}

function call(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Reply> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child did not answer ${op} in ${timeoutMs} ms`)), timeoutMs);
    waiting.set(id, (r) => {
      clearTimeout(t);
      resolve(r);
    });
    child!.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
  });
}
async function ok<T = unknown>(
  op: string,
  args: Record<string, unknown> = {},
  timeoutMs?: number,
): Promise<T> {
  const r = await call(op, args, timeoutMs);
  if (!r.ok) throw new Error(`${op} failed: ${r.error?.code} ${r.error?.message}`);
  return r.result as T;
}

async function waitFor(pred: (e: Ev) => boolean, what: string, timeoutMs = 10_000): Promise<Ev> {
  const t0 = Date.now();
  for (;;) {
    const e = events.find(pred);
    if (e) return e;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no ${what} event within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; tentative?: boolean; nodad?: boolean }[];
}
const addrsOf = (ifname: string) =>
  (ipj('addr', 'show', 'dev', ifname) as IpAddr[]).flatMap((l) =>
    l.addr_info.map((a) => ({ ...a, key: `${a.local}/${a.prefixlen}` })),
  );

describe.skipIf(skip)('rtnetlink in a namespace', () => {
  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ip('link', 'set', 'va', 'up');
    ip('link', 'set', 'vb', 'up');
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-rtnl-'));
    writeFileSync(join(dir, 'child.mts'), CHILD);
    // one process (no tsx CLI wrapper) so that its PID is the one we may have to kill
    const loader = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
    child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', loader, join(dir, 'child.mts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: ROOT,
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as Reply & { event?: Ev };
      if (m.event) events.push(m.event);
      else waiting.get(m.id)?.(m);
    });
    await ok('ready', {}, 60_000);
  });

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      child.stdin?.end();
      const exited = new Promise((r) => child!.once('exit', r));
      const t = setTimeout(() => child?.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    try {
      execFileSync('ip', ['netns', 'del', NS]);
    } catch {}
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds and removes an IPv4 VIP; repeated add/remove are not errors', async () => {
    await ok('add', { ifname: 'va', address: '192.0.2.10', prefix: 24 });
    expect(addrsOf('va').map((a) => a.key)).toContain('192.0.2.10/24');
    await ok('add', { ifname: 'va', address: '192.0.2.10', prefix: 24 });
    await ok('remove', { ifname: 'va', address: '192.0.2.10', prefix: 24 });
    expect(addrsOf('va').map((a) => a.key)).not.toContain('192.0.2.10/24');
    await ok('remove', { ifname: 'va', address: '192.0.2.10', prefix: 24 });
  });

  it('a burst of 1,000 adds and then 1,000 removes at once all go through (no receive-buffer overrun)', async () => {
    const addresses = Array.from({ length: 1000 }, (_, i) => `2001:db8:b::${(i + 1).toString(16)}`);
    expect(await ok('burst', { ifname: 'vb', addresses, prefix: 128 }, 60_000)).toEqual(['0']);
    expect(addrsOf('vb').filter((a) => a.local.startsWith('2001:db8:b::')).length).toBe(1000);
    expect(await ok('burst', { ifname: 'vb', addresses, prefix: 128, remove: true }, 60_000)).toEqual(['0']);
    expect(addrsOf('vb').filter((a) => a.local.startsWith('2001:db8:b::')).length).toBe(0);
  });

  it('adds an IPv6 VIP with NODAD: never tentative', async () => {
    await ok('add', { ifname: 'va', address: '2001:db8::10', prefix: 64 });
    const a = addrsOf('va').find((x) => x.local === '2001:db8::10');
    expect(a).toMatchObject({ prefixlen: 64, nodad: true });
    expect(a?.tentative).toBeUndefined();
    await ok('remove', { ifname: 'va', address: '2001:db8::10', prefix: 64 });
    expect(addrsOf('va').find((x) => x.local === '2001:db8::10')).toBeUndefined();
    await ok('remove', { ifname: 'va', address: '2001:db8::10', prefix: 64 });
  });

  it('reports an unknown interface and a bad address with a code', async () => {
    const r = await call('add', { ifname: 'nosuch0', address: '192.0.2.11', prefix: 24 });
    expect(r).toMatchObject({ ok: false, error: { code: 'ENODEV' } });
    expect(r.error?.message).toMatch(/nosuch0/);
    // removing from a missing interface is success: its addresses are gone too
    expect(await call('remove', { ifname: 'nosuch0', address: '192.0.2.11', prefix: 24 })).toMatchObject({
      ok: true,
    });
  });

  it('a dump lists the same addresses as ip -j addr', async () => {
    await ok('add', { ifname: 'vb', address: '198.51.100.5', prefix: 24 });
    await ok('add', { ifname: 'vb', address: '2001:db8:5::5', prefix: 64 });
    const ours = (await ok<{ ifindex: number; address: string; prefixLength: number }[]>('list', {}))
      .map((a) => `${a.ifindex} ${a.address}/${a.prefixLength}`)
      .sort();
    const theirs = (ipj('addr') as (IpAddr & { ifindex: number })[])
      .flatMap((l) => l.addr_info.map((a) => `${l.ifindex} ${a.local}/${a.prefixlen}`))
      .sort();
    expect(ours).toEqual(theirs);
    const onVb = await ok<{ address: string }[]>('list', { ifname: 'vb' });
    expect(onVb.map((a) => a.address)).toEqual(expect.arrayContaining(['198.51.100.5', '2001:db8:5::5']));
    expect(onVb.map((a) => a.address)).not.toContain('127.0.0.1');
  });

  it('link down/up of a veth gives link events with up/running', async () => {
    events.length = 0;
    ip('link', 'set', 'vb', 'down');
    // va loses its carrier when its peer goes down
    await waitFor(
      (e) =>
        e.type === 'link' && (e.link as { name: string }).name === 'vb' && !(e.link as { up: boolean }).up,
      'vb down',
    );
    await waitFor(
      (e) =>
        e.type === 'link' &&
        (e.link as { name: string }).name === 'va' &&
        !(e.link as { running: boolean }).running,
      'va not running',
    );
    events.length = 0;
    ip('link', 'set', 'vb', 'up');
    await waitFor(
      (e) =>
        e.type === 'link' &&
        (e.link as { name: string }).name === 'va' &&
        (e.link as { running: boolean }).running,
      'va running',
    );
    const links =
      await ok<{ name: string; up: boolean; running: boolean; mac: string; mtu: number }[]>('links');
    const oracle = ipj('link') as { ifname: string; address: string; mtu: number; flags: string[] }[];
    for (const o of oracle) {
      const l = links.find((x) => x.name === o.ifname);
      expect(l).toMatchObject({ mac: o.address, mtu: o.mtu, up: o.flags.includes('UP') });
    }
  });

  it('an address removed with ip addr del gives an address-removed event', async () => {
    await ok('add', { ifname: 'va', address: '203.0.113.9', prefix: 24 });
    await waitFor(
      (e) => e.type === 'address-added' && (e.address as { address: string }).address === '203.0.113.9',
      'address-added',
    );
    ip('addr', 'del', '203.0.113.9/24', 'dev', 'va');
    const e = await waitFor(
      (x) => x.type === 'address-removed' && (x.address as { address: string }).address === '203.0.113.9',
      'address-removed',
    );
    expect(e.address).toMatchObject({ family: 4, prefixLength: 24 });
  });

  it('creates a macvlan with the VRRP virtual MAC, sets parent ARP sysctls, and deletes it', async () => {
    const mac = '00:00:5e:00:01:07';
    const ifindex = await ok<number>('createVmac', { parent: 'va', name: 'vrrp.7', mac, mode: 'private' });
    const l = (
      ipj('-d', 'link', 'show', 'vrrp.7') as {
        ifindex: number;
        address: string;
        flags: string[];
        link: string;
        linkinfo: { info_kind: string; info_data: { mode: string } };
      }[]
    )[0]!;
    expect(l).toMatchObject({ ifindex, address: mac, link: 'va' });
    expect(l.flags).toContain('UP');
    expect(l.linkinfo).toMatchObject({ info_kind: 'macvlan', info_data: { mode: 'private' } });
    const sysctl = (k: string) =>
      execFileSync('ip', ['netns', 'exec', NS, 'cat', `/proc/sys/net/ipv4/conf/va/${k}`], {
        encoding: 'utf8',
      }).trim();
    expect(sysctl('arp_ignore')).toBe('1');
    expect(sysctl('arp_announce')).toBe('2');
    // again: an existing vmac is adopted, not an error
    expect(await ok<number>('createVmac', { parent: 'va', name: 'vrrp.7', mac })).toBe(ifindex);
    await waitFor((e) => e.type === 'link' && (e.link as { name: string }).name === 'vrrp.7', 'vrrp.7 link');
    await ok('deleteLink', { name: 'vrrp.7' });
    expect(() => ip('link', 'show', 'vrrp.7')).toThrow();
    await waitFor((e) => e.type === 'link-removed' && e.name === 'vrrp.7', 'link-removed');
    await ok('deleteLink', { name: 'vrrp.7' });
  });

  it('recovers from a notification overrun (ENOBUFS) by re-dumping', async () => {
    const n = 250;
    const want: string[] = [];
    let batch = '';
    for (let i = 1; i <= n; i++) {
      const a = `2001:db8:77::${i.toString(16)}`;
      want.push(a);
      batch += `addr add ${a}/128 dev vb nodad\n`;
    }
    const t0 = Date.now();
    const r = await ok<{ overruns: number; resyncs: number; seen: string[]; removedAfter: boolean }>(
      'flood',
      { batch, ifname: 'vb', probe: want[0] },
      60_000,
    );
    console.log(
      `flood of ${n} addresses: ${r.overruns} overrun(s), ${r.resyncs} resync(s), ${Date.now() - t0} ms`,
    );
    expect(r.overruns).toBeGreaterThanOrEqual(1);
    expect(r.resyncs).toBeGreaterThanOrEqual(1);
    expect(new Set(r.seen)).toEqual(new Set([...want]));
    expect(r.removedAfter).toBe(true);
  });
});
