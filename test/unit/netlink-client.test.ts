import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetlinkClient, NetlinkError, type NetlinkSocket } from '../../src/effects/netlink-client.js';
import {
  decodeMessages,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
} from '../../src/netlink/message.js';

/** A fake kernel: `reply` gets each request and returns datagrams to deliver. */
function fakeSocket(reply: (req: NlMessage) => Buffer[]) {
  let onMsg: (d: Buffer) => void = () => {};
  let onErr: (e: Error & { code?: string }) => void = () => {};
  const sent: NlMessage[] = [];
  const sock: NetlinkSocket & {
    deliver(d: Buffer): void;
    fail(code: string): void;
    sent: NlMessage[];
    closed: boolean;
  } = {
    pid: 4242,
    sent,
    closed: false,
    send(d) {
      const msgs = decodeMessages(d) as NlMessage[];
      for (const m of msgs) {
        sent.push(m);
        const out = reply(m);
        queueMicrotask(() => {
          for (const o of out) onMsg(o);
        });
      }
    },
    onMessage(cb) {
      onMsg = cb;
    },
    onError(cb) {
      onErr = cb;
    },
    addMembership() {},
    close() {
      sock.closed = true;
    },
    deliver(d) {
      onMsg(d);
    },
    fail(code) {
      onErr(Object.assign(new Error(code), { code }));
    },
  };
  return sock;
}

function errMsg(req: NlMessage, errno: number, flags = 0): Buffer {
  const p = Buffer.alloc(4);
  p.writeInt32LE(-errno, 0);
  const orig = encodeMessage({ ...req, payload: Buffer.alloc(0) });
  return encodeMessage({
    type: NLMSG_ERROR,
    flags,
    seq: req.seq,
    pid: 4242,
    payload: Buffer.concat([p, orig]),
  });
}
const data = (req: NlMessage, n: number, flags = NLM_F_MULTI) =>
  encodeMessage({ type: 20, flags, seq: req.seq, pid: 4242, payload: Buffer.from([n, 0, 0, 0]) });
const done = (req: NlMessage, errno = 0) => {
  const p = Buffer.alloc(4);
  p.writeInt32LE(-errno, 0);
  return encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: req.seq, pid: 4242, payload: p });
};

afterEach(() => {
  vi.useRealTimers();
});

describe('NetlinkClient', () => {
  it('adds REQUEST|ACK to a non-dump request and resolves [] on the ack', async () => {
    const s = fakeSocket((r) => [errMsg(r, 0)]);
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    await expect(c.request(20, 0x400, Buffer.alloc(8))).resolves.toEqual([]);
    expect(s.sent[0]!.flags).toBe(0x400 | NLM_F_REQUEST | NLM_F_ACK);
    expect(s.sent[0]!.seq).not.toBe(0);
  });

  it('keeps at most maxInFlight requests on the wire; the rest go out as replies come back', async () => {
    const held: NlMessage[] = [];
    const s = fakeSocket((r) => {
      held.push(r);
      return [];
    });
    const c = NetlinkClient.open(0, { socketFactory: () => s, maxInFlight: 3 });
    const all = Promise.all(Array.from({ length: 7 }, () => c.request(20, 0, Buffer.alloc(0))));
    await new Promise((r) => setTimeout(r, 0));
    expect(s.sent.length).toBe(3);
    for (let answered = 0; answered < 7; answered++) {
      const r = held.shift()!;
      s.deliver(errMsg(r, 0));
      await new Promise((r) => setTimeout(r, 0));
      expect(s.sent.length).toBe(Math.min(7, 4 + answered));
    }
    await expect(all).resolves.toHaveLength(7);
  });

  it('pages a dump across datagrams until NLMSG_DONE', async () => {
    const s = fakeSocket((r) => [
      Buffer.concat([data(r, 1), data(r, 2)]),
      Buffer.concat([data(r, 3), done(r)]),
    ]);
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    const res = await c.request(22, NLM_F_DUMP, Buffer.alloc(8));
    expect(res.map((m) => m.payload[0])).toEqual([1, 2, 3]);
    expect(s.sent[0]!.flags).toBe(NLM_F_DUMP | NLM_F_REQUEST);
  });

  it('rejects with a NetlinkError naming the errno and the request', async () => {
    const s = fakeSocket((r) => [errMsg(r, 17)]);
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    const e = (await c
      .request(20, 0, Buffer.alloc(0), 'add 192.0.2.1/24 to eth0')
      .catch((x) => x)) as NetlinkError;
    expect(e).toBeInstanceOf(NetlinkError);
    expect(e.code).toBe('EEXIST');
    expect(e.errno).toBe(17);
    expect(e.request).toBe('add 192.0.2.1/24 to eth0');
    expect(e.message).toMatch(/add 192.0.2.1\/24 to eth0.*EEXIST/);
  });

  it('rejects a dump whose DONE carries an error', async () => {
    const s = fakeSocket((r) => [data(r, 1), done(r, 22)]);
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    await expect(c.request(22, NLM_F_DUMP, Buffer.alloc(0))).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('matches concurrent requests by seq, answering out of order', async () => {
    const held: NlMessage[] = [];
    const s = fakeSocket((r) => {
      held.push(r);
      return [];
    });
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    const a = c.request(22, NLM_F_DUMP, Buffer.alloc(0));
    const b = c.request(18, 0, Buffer.alloc(0));
    await Promise.resolve();
    expect(held).toHaveLength(2);
    s.deliver(Buffer.concat([data(held[1]!, 2, 0), errMsg(held[1]!, 0)]));
    s.deliver(Buffer.concat([data(held[0]!, 1), done(held[0]!)]));
    expect((await a).map((m) => m.payload[0])).toEqual([1]);
    expect((await b).map((m) => m.payload[0])).toEqual([2]);
  });

  it('runs dumps one at a time (the kernel answers a second concurrent dump with EBUSY)', async () => {
    const held: NlMessage[] = [];
    const s = fakeSocket((r) => {
      held.push(r);
      return [];
    });
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    const a = c.request(22, NLM_F_DUMP, Buffer.alloc(0));
    const b = c.request(18, NLM_F_DUMP, Buffer.alloc(0));
    await new Promise((r) => setTimeout(r, 5));
    expect(held.map((m) => m.type)).toEqual([22]);
    s.deliver(Buffer.concat([data(held[0]!, 1), errMsg(held[0]!, 16)]));
    await expect(a).rejects.toMatchObject({ code: 'EBUSY' });
    await new Promise((r) => setTimeout(r, 5));
    expect(held.map((m) => m.type)).toEqual([22, 18]);
    s.deliver(done(held[1]!));
    await expect(b).resolves.toEqual([]);
  });

  it('repeats a dump the kernel marked NLM_F_DUMP_INTR', async () => {
    let n = 0;
    const s = fakeSocket((r) =>
      n++ === 0 ? [data(r, 1, NLM_F_MULTI | NLM_F_DUMP_INTR), done(r)] : [data(r, 9), done(r)],
    );
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    expect((await c.request(22, NLM_F_DUMP, Buffer.alloc(0))).map((m) => m.payload[0])).toEqual([9]);
    expect(s.sent).toHaveLength(2);
  });

  it('passes seq-0 and unmatched messages to notification listeners', () => {
    const s = fakeSocket(() => []);
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    const got: NlMessage[] = [];
    c.onNotification((m) => got.push(m));
    s.deliver(encodeMessage({ type: 16, flags: 0, seq: 0, pid: 0, payload: Buffer.alloc(16) }));
    s.deliver(encodeMessage({ type: 16, flags: 0, seq: 12345, pid: 77, payload: Buffer.alloc(16) }));
    expect(got.map((m) => m.type)).toEqual([16, 16]);
  });

  it('times out with ETIMEDOUT', async () => {
    vi.useFakeTimers();
    const s = fakeSocket(() => []);
    const c = NetlinkClient.open(0, { socketFactory: () => s, timeoutMs: 100 });
    const p = c.request(20, 0, Buffer.alloc(0), 'slow').catch((e) => e);
    await vi.advanceTimersByTimeAsync(150);
    expect(await p).toMatchObject({ code: 'ETIMEDOUT', request: 'slow' });
  });

  it('on ENOBUFS fails in-flight requests and tells overrun listeners; undecodable datagrams go to onError', async () => {
    const s = fakeSocket(() => []);
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    let overruns = 0;
    const errors: Error[] = [];
    c.onOverrun(() => overruns++);
    c.onError((e) => errors.push(e));
    const p = c.request(22, NLM_F_DUMP, Buffer.alloc(0)).catch((e) => e);
    s.fail('ENOBUFS');
    expect(await p).toMatchObject({ code: 'ENOBUFS' });
    expect(overruns).toBe(1);
    s.deliver(Buffer.from([1, 2, 3]));
    expect(errors[0]).toMatchObject({ code: 'EPROTO' });
  });

  it('close rejects pending requests and later ones', async () => {
    const s = fakeSocket(() => []);
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    const p = c.request(20, 0, Buffer.alloc(0)).catch((e) => e);
    c.close();
    expect(await p).toMatchObject({ code: 'ECANCELED' });
    expect(s.closed).toBe(true);
    await expect(c.request(20, 0, Buffer.alloc(0))).rejects.toMatchObject({ code: 'ECANCELED' });
  });

  it('a throwing send rejects the request', async () => {
    const s = fakeSocket(() => []);
    s.send = () => {
      throw Object.assign(new Error('sendto: EPERM'), { code: 'EPERM', errno: -1 });
    };
    const c = NetlinkClient.open(0, { socketFactory: () => s });
    await expect(c.request(20, 0, Buffer.alloc(0))).rejects.toMatchObject({ code: 'EPERM' });
  });
});
