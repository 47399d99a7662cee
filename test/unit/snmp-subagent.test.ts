// The subagent's session handling against a scripted AgentX master on a unix socket in a
// temp dir (the real snmpd is in test/netns/snmp-agentx.test.ts): PDUs joined and split
// by the stream, Set refused, a refused registration and a master's Close lead to
// retries, an absent master is one warning, stop() says Close.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/model.js';
import { exampleSnapshot } from '../../src/control/example.js';
import {
  decodePdu,
  encodeRequest,
  encodeResponse,
  frameLength,
  type Header,
  type Pdu,
  PduType,
  ResponseError,
} from '../../src/snmp/agentx.js';
import { SnmpSubagent } from '../../src/snmp/subagent.js';

const MIB = [1, 3, 6, 1, 2, 1, 207];

/** Cuts a stream into PDUs and decodes each. */
function onPdus(c: Socket, each: (pdu: Pdu) => void): void {
  let buf = Buffer.alloc(0);
  c.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (let n = frameLength(buf); n !== null && buf.length >= n; n = frameLength(buf)) {
      const pdu = decodePdu(buf.subarray(0, n));
      buf = buf.subarray(n);
      if (!pdu.ok) throw new Error(pdu.reason);
      each(pdu.value);
    }
  });
}

/** Replies Open and Register (with `registerError`), records every PDU the subagent sends. */
class ScriptedMaster {
  readonly server: Server;
  readonly received: Pdu[] = [];
  conns: Socket[] = [];
  registerError = 0;
  opens = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly path: string) {
    this.server = createServer((c) => {
      this.conns.push(c);
      onPdus(c, (pdu) => this.onPdu(c, pdu));
      c.on('error', () => {});
    });
  }

  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, r));
  }

  private onPdu(c: Socket, p: Pdu): void {
    this.received.push(p);
    const h = p.header;
    if (h.type === PduType.open) {
      this.opens++;
      c.write(encodeResponse({ header: { ...h, sessionId: 42 }, sysUpTime: 1000 }));
    } else if (h.type === PduType.register || h.type === PduType.notify || h.type === PduType.ping)
      c.write(encodeResponse({ header: h, error: h.type === PduType.register ? this.registerError : 0 }));
    for (const w of this.waiters.splice(0)) w();
  }

  async until(pred: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  ofType(type: number): Pdu[] {
    return this.received.filter((p) => p.header.type === type);
  }

  close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('SNMP subagent session', () => {
  let dir: string;
  let master: ScriptedMaster;
  let agent: SnmpSubagent;
  let logs: Record<string, unknown>[];

  const start = (path = master.path) => {
    agent.configure({ agentx: { kind: 'unix', path }, traps: true });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-agentx-'));
    master = new ScriptedMaster(join(dir, 'master'));
    await master.listen();
    logs = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(l));
        cb();
      },
    });
    const config = {
      vrrpInstances: [
        { name: 'VI_1', preempt: true, accept: false },
        { name: 'VI_2', preempt: true, accept: false },
      ],
      vrrpSyncGroups: [],
    } as unknown as Config;
    agent = new SnmpSubagent({
      log: pino({ level: 'debug' }, sink),
      snapshot: async () => exampleSnapshot(),
      config: () => config,
      refreshMs: 200,
    });
  });
  afterEach(async () => {
    await agent.stop();
    await master.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const connected = () => logs.filter((l) => l.event === 'snmp-connected').length;

  it('opens a session and registers 1.3.6.1.2.1.207 in the session the master gave', async () => {
    start();
    await master.until(() => connected() === 1);
    const reg = master.ofType(PduType.register)[0]!;
    expect(reg.header.sessionId).toBe(42);
  });

  it('answers requests joined in one write and split across writes, each with its packet id', async () => {
    start();
    await master.until(() => connected() === 1);
    const c = master.conns[0]!;
    const h = (packetId: number): Pick<Header, 'sessionId' | 'transactionId' | 'packetId'> => ({
      sessionId: 42,
      transactionId: packetId,
      packetId,
    });
    const next = (id: number) =>
      encodeRequest({
        type: PduType.getNext,
        header: h(id),
        ranges: [{ start: MIB, include: false, end: [] }],
      });
    const responses: Pdu[] = [];
    onPdus(c, (p) => {
      if (p.kind === 'response') responses.push(p);
    });
    c.write(Buffer.concat([next(101), next(102)]));
    const third = next(103);
    c.write(third.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 50));
    c.write(third.subarray(7));
    await master.until(() => responses.length >= 3);
    expect(responses.map((r) => r.header.packetId)).toEqual([101, 102, 103]);
    const first = responses[0]!;
    expect(first.kind === 'response' && first.varbinds[0]!.oid).toEqual([...MIB, 1, 1, 1, 1, 3, 2, 51, 1]);
  });

  it('refuses a Set: TestSet is answered notWritable for the first varbind', async () => {
    start();
    await master.until(() => connected() === 1);
    const c = master.conns[0]!;
    const testSet = encodeResponse({
      header: { sessionId: 42, transactionId: 9, packetId: 9 },
      varbinds: [{ oid: [...MIB, 1, 1, 1, 1, 7, 2, 51, 1], value: { type: 'gauge32', value: 1 } }],
    });
    // a Response's payload starts with 8 bytes (sysUpTime, error, index) a TestSet lacks
    const body = testSet.subarray(28);
    const head = Buffer.from(testSet.subarray(0, 20));
    head[1] = PduType.testSet;
    head.writeUInt32BE(body.length, 16);
    const answer = new Promise<Pdu>((resolve) => {
      c.once('data', (d: Buffer) => {
        const p = decodePdu(d);
        if (p.ok) resolve(p.value);
      });
    });
    c.write(Buffer.concat([head, body]));
    expect(await answer).toMatchObject({ kind: 'response', error: ResponseError.notWritable, index: 1 });
  });

  it('a refused registration is a warning naming the reason, then a retry', async () => {
    master.registerError = ResponseError.duplicateRegistration;
    start();
    await master.until(() => master.opens >= 2, 5000);
    const warns = logs.filter((l) => l.event === 'snmp-disconnected');
    expect(warns[0]).toMatchObject({
      level: 40,
      reason: expect.stringMatching(/another subagent already serves/),
    });
    // the same failure again is logged at debug, not repeated as a warning
    master.registerError = 0;
    await master.until(() => connected() === 1, 5000);
    expect(warns.filter((l) => l.level === 40)).toHaveLength(1);
  });

  it("the master's Close ends the session; the subagent comes back", async () => {
    start();
    await master.until(() => connected() === 1);
    const c = master.conns[0]!;
    const close = Buffer.from(encodeResponse({ header: { sessionId: 42, transactionId: 0, packetId: 1 } }));
    close[1] = PduType.close;
    c.write(close.subarray(0, 20).fill(0, 16, 20));
    await master.until(() => connected() === 2, 5000);
  });

  it('no master: one warning, retries at debug, nothing thrown', async () => {
    start(join(dir, 'nothing-here'));
    await new Promise((r) => setTimeout(r, 3500));
    const tries = logs.filter((l) => l.event === 'snmp-disconnected');
    expect(tries.length).toBeGreaterThanOrEqual(2);
    expect(tries[0]).toMatchObject({ level: 40, reason: expect.stringMatching(/ENOENT/) });
    expect(tries.slice(1).every((l) => l.level === 20)).toBe(true);
  });

  it('becoming master sends vrrpv3NewMaster with the reason; with traps off, nothing', async () => {
    start();
    await master.until(() => connected() === 1);
    agent.stateChanged({ instance: 'VI_1', from: 'backup', to: 'master', reason: 'preempt' });
    await master.until(() => master.ofType(PduType.notify).length === 1);
    const [n] = master.ofType(PduType.notify);
    // snmpTrapOID.0 = vrrpv3NewMaster, then vrrpv3OperationsMasterIpAddr and the reason
    expect(n!.kind === 'notify' && n!.varbinds).toEqual([
      { oid: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0], value: { type: 'oid', value: [...MIB, 0, 1] } },
      {
        oid: [...MIB, 1, 1, 1, 1, 3, 2, 51, 1],
        value: { type: 'octets', value: Buffer.from([192, 0, 2, 1]) },
      },
      { oid: [...MIB, 1, 2, 5, 1, 2, 2, 51, 1], value: { type: 'integer', value: 2 } },
    ]);
    expect(agent.configure({ agentx: { kind: 'unix', path: master.path }, traps: false })).toMatch(
      /traps off/,
    );
    agent.stateChanged({ instance: 'VI_1', from: 'backup', to: 'master', reason: 'preempt' });
    await new Promise((r) => setTimeout(r, 300));
    expect(master.ofType(PduType.notify)).toHaveLength(1);
    expect(connected()).toBe(1); // a traps change keeps the session
  });

  it('stop() sends Close; configure(undefined) turns it off', async () => {
    start();
    await master.until(() => connected() === 1);
    expect(agent.configure(undefined)).toBe('snmp off');
    await master.until(() => master.ofType(PduType.close).length === 1);
    expect(agent.configure(undefined)).toBeNull();
  });
});
