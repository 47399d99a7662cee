// Raw VRRP transport, AF_PACKET frames and the addon inside worker_threads, on a real bridge
// between network namespaces. Each host runs test/netns/transport.agent.ts (JSON lines).
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createTopology, listNamespaces, type Topology } from '../helpers/netns.js';

const skip = missing({ root: true, commands: ['ip'] });

type Msg = { reqId?: number; ok?: boolean; ev?: string; [k: string]: unknown };

class Agent {
  private seq = 0;
  private waiters = new Map<number, (m: Msg) => void>();
  readonly events: Msg[] = [];
  private eventWaiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as Msg;
      if (m.ev) {
        this.events.push(m);
        for (const w of [...this.eventWaiters])
          if (w.pred(m)) {
            this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
            w.resolve(m);
          }
      } else if (m.reqId !== undefined) this.waiters.get(m.reqId)?.(m);
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  async call(op: string, args: object = {}): Promise<Msg> {
    const m = await this.callRaw(op, args);
    if (!m.ok) throw new Error(`${op} failed: ${JSON.stringify(m.error)}\n${this.stderr}`);
    return m;
  }

  callRaw(op: string, args: object = {}, timeoutMs = 20_000): Promise<Msg> {
    const reqId = ++this.seq;
    return new Promise<Msg>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`agent ${op} timed out\n${this.stderr}`)), timeoutMs);
      this.waiters.set(reqId, (m) => {
        clearTimeout(t);
        this.waiters.delete(reqId);
        resolve(m);
      });
      this.child.stdin!.write(`${JSON.stringify({ reqId, op, ...args })}\n`);
    });
  }

  /** Resolves with the first event (past or future) matching pred. */
  waitEvent(pred: (m: Msg) => boolean, timeoutMs = 10_000): Promise<Msg> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<Msg>((resolve, reject) => {
      const w = { pred, resolve };
      this.eventWaiters.push(w);
      setTimeout(() => {
        const i = this.eventWaiters.indexOf(w);
        if (i >= 0) {
          this.eventWaiters.splice(i, 1);
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`));
        }
      }, timeoutMs);
    });
  }
}

const packetWith = (id: string, payload: string) => (m: Msg) =>
  m.ev === 'packet' && m.id === id && m.payload === payload;

describe.skipIf(skip)('raw VRRP transport in namespaces', () => {
  let topo: Topology;
  let a: Agent;
  let b: Agent;
  let ifindexB = 0;
  let llA = '';
  let n = 0;
  const payload = () => `31${(++n).toString(16).padStart(2, '0')}64010001a0000000c0000201`; // fake v3 advert

  beforeAll(async () => {
    topo = await createTopology({ hosts: ['a', 'b'] });
    const start = (h: string) =>
      new Agent(topo.spawn(h, [process.execPath, '--import', 'tsx', 'test/netns/transport.agent.ts']));
    a = start('a');
    b = start('b');
    await Promise.all([a.call('ping'), b.call('ping')]);
    ifindexB = (await b.call('ifindex', { ifname: 'eth0' })).ifindex as number;
    llA = await topo.linkLocal('a');
  });

  afterAll(async () => {
    const prefix = topo?.prefix;
    await topo?.cleanup();
    if (prefix) expect(await listNamespaces(prefix)).toEqual([]);
  });

  it('IPv4: multicast and unicast adverts arrive with TTL 255, src, dst, ifindex; no loopback', async () => {
    await a.call('open', { id: 'a4', family: 4, ifname: 'eth0' });
    await b.call('open', { id: 'b4', family: 4, ifname: 'eth0' });
    const p1 = payload();
    await a.call('send', { id: 'a4', payload: p1, dst: '224.0.0.18' });
    const got = await b.waitEvent(packetWith('b4', p1));
    expect(got).toMatchObject({
      family: 4,
      srcAddress: topo.host('a').ipv4,
      dstAddress: '224.0.0.18',
      ttl: 255,
      ifindex: ifindexB,
    });
    const p2 = payload();
    await a.call('send', { id: 'a4', payload: p2, dst: topo.host('b').ipv4 });
    const uni = await b.waitEvent(packetWith('b4', p2));
    expect(uni).toMatchObject({ srcAddress: topo.host('a').ipv4, dstAddress: topo.host('b').ipv4, ttl: 255 });
    // multicast loop is off: the sender never hears itself
    await new Promise((r) => setTimeout(r, 300));
    expect(a.events.filter((m) => m.ev === 'packet' && m.id === 'a4')).toEqual([]);
  });

  it('IPv6: adverts come from the link-local address with hop limit 255', async () => {
    await a.call('open', { id: 'a6', family: 6, ifname: 'eth0' });
    await b.call('open', { id: 'b6', family: 6, ifname: 'eth0' });
    const p1 = payload();
    await a.call('send', { id: 'a6', payload: p1, dst: 'ff02::12' });
    expect(await b.waitEvent(packetWith('b6', p1))).toMatchObject({
      family: 6,
      srcAddress: llA,
      dstAddress: 'ff02::12',
      ttl: 255,
      ifindex: ifindexB,
    });
    // Unicast to a global address still uses the link-local source (RFC 5798 §5.1.2.1).
    const p2 = payload();
    await a.call('send', { id: 'a6', payload: p2, dst: topo.host('b').ipv6 });
    expect(await b.waitEvent(packetWith('b6', p2))).toMatchObject({
      srcAddress: llA,
      dstAddress: topo.host('b').ipv6,
      ttl: 255,
    });
  });

  it('reports a TTL/hop limit other than 255 as received (so the engine can drop it)', async () => {
    const p4 = payload();
    await a.call('rawSend', { family: 4, ifname: 'eth0', payload: p4, dst: '224.0.0.18', ttl: 64 });
    expect(await b.waitEvent(packetWith('b4', p4))).toMatchObject({ ttl: 64 });
    const p6 = payload();
    await a.call('rawSend', { family: 6, ifname: 'eth0', payload: p6, dst: 'ff02::12', ttl: 64 });
    expect(await b.waitEvent(packetWith('b6', p6))).toMatchObject({ ttl: 64, srcAddress: llA });
  });

  it('AF_PACKET: a frame sent in one namespace is captured in the other', async () => {
    await b.call('capture', { ifname: 'eth0' });
    // broadcast, src 02:00:00:00:00:0a, ethertype 0x88b5 (IEEE local experimental), marker
    const frame = `ffffffffffff02000000000a88b5${Buffer.from('vrrpd-frame-test-payload-padding-to-60b!!').toString('hex')}`;
    await a.call('frameSend', { ifname: 'eth0', frame });
    const got = await b.waitEvent((m) => m.ev === 'frame' && String(m.frame).startsWith(frame));
    expect(got.pkttype).toBe(1); // PACKET_BROADCAST
  });

  it('on the wire: multicast MACs, DSCP CS6, TTL/hop limit 255, protocol 112', async () => {
    await b.call('capture', { ifname: 'eth0' });
    const p4 = payload();
    const p6 = payload();
    await a.call('send', { id: 'a4', payload: p4, dst: '224.0.0.18' });
    await a.call('send', { id: 'a6', payload: p6, dst: 'ff02::12' });
    const f4 = Buffer.from(
      String((await b.waitEvent((m) => m.ev === 'frame' && String(m.frame).endsWith(p4))).frame),
      'hex',
    );
    expect(f4.subarray(0, 6).toString('hex')).toBe('01005e000012'); // RFC 1112 §6.4 mapping
    expect(f4.readUInt16BE(12)).toBe(0x0800);
    expect(f4[15]).toBe(0xc0); // TOS: DSCP CS6
    expect(f4[22]).toBe(255); // TTL
    expect(f4[23]).toBe(112); // protocol
    const f6 = Buffer.from(
      String((await b.waitEvent((m) => m.ev === 'frame' && String(m.frame).endsWith(p6))).frame),
      'hex',
    );
    expect(f6.subarray(0, 6).toString('hex')).toBe('333300000012'); // RFC 2464 §7 mapping
    expect(f6.readUInt16BE(12)).toBe(0x86dd);
    expect(((f6[14]! & 0x0f) << 4) | (f6[15]! >> 4)).toBe(0xc0); // traffic class
    expect(f6[20]).toBe(112); // next header
    expect(f6[21]).toBe(255); // hop limit
  });

  it('errors carry code and syscall', async () => {
    const r = await a.callRaw('open', { id: 'bad', family: 4, ifname: 'nodev9' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ code: 'ENODEV', syscall: 'if_nametoindex(nodev9)' });
    const f = await a.callRaw('frameSend', { ifname: 'nodev9', frame: 'ff' });
    expect(f.error).toMatchObject({ code: 'ENODEV' });
  });

  it('works inside a worker_thread; terminating the worker does not crash the process', async () => {
    await b.call('startWorker');
    await b.call('open', { inWorker: true, id: 'w4', family: 4, ifname: 'eth0' });
    await b.call('open', { inWorker: true, id: 'w6', family: 6, ifname: 'eth0' });
    const p4 = payload();
    await a.call('send', { id: 'a4', payload: p4, dst: '224.0.0.18' });
    expect(await b.waitEvent((m) => packetWith('w4', p4)(m) && m.fromWorker === true)).toMatchObject({
      ttl: 255,
      srcAddress: topo.host('a').ipv4,
    });
    const p6 = payload();
    await b.call('send', { inWorker: true, id: 'w6', payload: p6, dst: 'ff02::12' });
    expect(await a.waitEvent(packetWith('a6', p6))).toMatchObject({ ttl: 255, dstAddress: 'ff02::12' });
    // terminate while the worker's sockets are open and reading
    await b.call('terminateWorker');
    await b.waitEvent((m) => m.ev === 'workerExit');
    // the agent survives, and its own transport still works
    await b.call('ping');
    const p5 = payload();
    await a.call('send', { id: 'a4', payload: p5, dst: '224.0.0.18' });
    await b.waitEvent(packetWith('b4', p5));
    // a second worker in the same process loads the addon again
    await b.call('startWorker');
    await b.call('open', { inWorker: true, id: 'x4', family: 4, ifname: 'eth0' });
    const p7 = payload();
    await a.call('send', { id: 'a4', payload: p7, dst: '224.0.0.18' });
    await b.waitEvent((m) => packetWith('x4', p7)(m) && m.fromWorker === true);
    await b.call('terminateWorker');
    expect(b.child.exitCode).toBeNull();
    expect(b.events.filter((m) => m.ev === 'workerError')).toEqual([]);
  });
});
