// The record of owned IPVS services across restarts (OWNERSHIP.md rule 4): the pure
// decision, the file module (atomic write, bad files → no record + a reason) and the
// controller with a fake kernel and an in-memory record: what a restart deletes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckManager } from '../../src/check/manager.js';
import { type Config, diffConfig, parseConfigText } from '../../src/config/index.js';
import { readOwnershipRecord, writeOwnershipRecord } from '../../src/effects/ownership-file.js';
import type { ScriptRunner } from '../../src/effects/types.js';
import { applyOps, type OpFailure } from '../../src/lvs/apply.js';
import { LvsController, type LvsIpvsClient } from '../../src/lvs/controller.js';
import { cloneTable, type IpvsService, type IpvsTable } from '../../src/lvs/model.js';
import {
  decodeOwnershipRecord,
  encodeOwnershipRecord,
  isServiceKey,
  OWNERSHIP_RECORD_VERSION,
  type OwnershipStore,
  OwnershipWriteError,
  type RecordRead,
  recordAfterPass,
  staleServices,
} from '../../src/lvs/ownership.js';
import type { IpvsOp } from '../../src/lvs/reconcile.js';
import { type LogLine, recordingLog } from '../helpers/log.js';
import { FakeClock, flush } from './check-fakes.js';

const A = 'tcp:192.0.2.50:80';
const B = 'tcp:192.0.2.50:8080';
const C = 'udp:192.0.2.60:53';
const set = (...k: string[]) => new Set(k);

describe('the decision (pure)', () => {
  it('a stale service is deleted only when recorded, in the kernel and not configured', () => {
    // B: recorded, in kernel, dropped from config → delete
    expect(staleServices(set(A, B), set(A), set(A, B))).toEqual([B]);
    // B recorded and dropped, but already gone from the kernel → nothing to do
    expect(staleServices(set(A, B), set(A), set(A))).toEqual([]);
    // B still configured → kept
    expect(staleServices(set(A, B), set(A, B), set(A, B))).toEqual([]);
  });

  it('a hand-made service (never recorded) is never deleted', () => {
    expect(staleServices(set(A), set(A), set(A, C))).toEqual([]);
    expect(staleServices(set(), set(), set(A, B, C))).toEqual([]);
  });

  it('accepts a Map (a kernel dump) as the kernel keys and sorts', () => {
    const kernel = new Map([
      [C, 1],
      [B, 1],
    ]);
    expect(staleServices(set(C, B), set(), kernel)).toEqual([B, C]);
  });

  it('the record to write keeps the config and the services whose deletion failed', () => {
    expect(recordAfterPass([B, A], [])).toEqual([A, B]);
    expect(recordAfterPass([A], [C])).toEqual([A, C]);
    expect(recordAfterPass([A], [A])).toEqual([A]);
  });

  it('service keys: the forms serviceKey() makes', () => {
    for (const k of [A, 'udp:[2001:db8::1]:53', 'sctp:203.0.113.5:9', 'fwmark:4:7', 'fwmark:6:1'])
      expect(isServiceKey(k), k).toBe(true);
    for (const k of [
      '',
      'tcp:192.0.2.1',
      'icmp:192.0.2.1:1',
      'fwmark:5:1',
      'tcp:host:80',
      ' tcp:192.0.2.1:80',
    ])
      expect(isServiceKey(k), k).toBe(false);
  });
});

describe('encoding', () => {
  it('round-trips, sorted and de-duplicated, with the format version', () => {
    const text = encodeOwnershipRecord([B, A, B]);
    expect(JSON.parse(text)).toEqual({ version: OWNERSHIP_RECORD_VERSION, services: [A, B] });
    const r = decodeOwnershipRecord(text);
    expect(r.ok && [...r.keys]).toEqual([A, B]);
  });

  it.each([
    ['not JSON', '{"version": 1, "services": [', 'OWNERSHIP_RECORD_CORRUPT'],
    ['empty', '', 'OWNERSHIP_RECORD_CORRUPT'],
    ['a list', '[]', 'OWNERSHIP_RECORD_CORRUPT'],
    ['no services', '{"version": 1}', 'OWNERSHIP_RECORD_CORRUPT'],
    ['a bad key', '{"version": 1, "services": ["tcp:192.0.2.50:80", "rm -rf"]}', 'OWNERSHIP_RECORD_CORRUPT'],
    ['a number key', '{"version": 1, "services": [80]}', 'OWNERSHIP_RECORD_CORRUPT'],
    ['another version', '{"version": 2, "services": []}', 'OWNERSHIP_RECORD_VERSION'],
    ['no version', '{"services": []}', 'OWNERSHIP_RECORD_VERSION'],
  ])('%s → no record, %s', (_name, text, code) => {
    const r = decodeOwnershipRecord(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});

describe('the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-own-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes atomically: the record is complete and no temporary file is left', async () => {
    const p = join(dir, 'a', 'ipvs-owned.json'); // the directory is created
    await writeOwnershipRecord(p, [A]);
    await writeOwnershipRecord(p, [A, B]);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ version: 1, services: [A, B] });
    expect(readdirSync(join(dir, 'a'))).toEqual(['ipvs-owned.json']);
    const r = await readOwnershipRecord(p);
    expect(r.ok && [...r.keys]).toEqual([A, B]);
  });

  it('missing, corrupt, wrong-version and unreadable files give no record and a reason naming the file', async () => {
    const expectNo = (r: RecordRead, code: string) => {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe(code);
        expect(r.reason).toContain(dir);
      }
    };
    expectNo(await readOwnershipRecord(join(dir, 'none.json')), 'OWNERSHIP_RECORD_MISSING');
    writeFileSync(join(dir, 'bad.json'), '{"version": 1, "serv');
    expectNo(await readOwnershipRecord(join(dir, 'bad.json')), 'OWNERSHIP_RECORD_CORRUPT');
    writeFileSync(join(dir, 'v9.json'), '{"version": 9, "services": []}');
    expectNo(await readOwnershipRecord(join(dir, 'v9.json')), 'OWNERSHIP_RECORD_VERSION');
    expectNo(await readOwnershipRecord(dir), 'OWNERSHIP_RECORD_UNREADABLE'); // EISDIR
  });

  it('a failed write throws OWNERSHIP_RECORD_UNWRITABLE and leaves no temporary file', async () => {
    // a non-empty directory in the record's place makes the rename fail, also for root
    const blocked = join(dir, 'blocked');
    await writeOwnershipRecord(join(blocked, 'x.json'), [A]);
    const e = await writeOwnershipRecord(blocked, [B]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OwnershipWriteError);
    expect((e as OwnershipWriteError).code).toBe('OWNERSHIP_RECORD_UNWRITABLE');
    expect((e as Error).message).toContain(blocked);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(blocked, 'x.json'), 'utf8')).services).toEqual([A]);
  });
});

// ---------------------------------------------------------------- the controller

class FakeIpvs implements LvsIpvsClient {
  table: IpvsTable = new Map();
  applied: IpvsOp[] = [];
  failDelete = false;
  async dump(): Promise<IpvsTable> {
    return cloneTable(this.table);
  }
  async applyAll(ops: readonly IpvsOp[]): Promise<{ failures: OpFailure[] }> {
    const failures: OpFailure[] = [];
    for (const op of ops) {
      if (this.failDelete && op.op === 'delete-service') failures.push({ op, error: new Error('EBUSY') });
      else {
        this.applied.push(op);
        this.table = applyOps(this.table, [op]);
      }
    }
    return { failures };
  }
  async setTimeouts(): Promise<void> {}
  async startDaemon(): Promise<void> {}
  async stopDaemon(): Promise<void> {}
  async listDaemons() {
    return [];
  }
}

class MemoryStore implements OwnershipStore {
  writes: { path: string; keys: string[] }[] = [];
  failWrite = false;
  constructor(public text: string | null) {}
  async read(path: string): Promise<RecordRead> {
    if (this.text === null)
      return { ok: false, code: 'OWNERSHIP_RECORD_MISSING', reason: `${path} does not exist` };
    const r = decodeOwnershipRecord(this.text);
    return r;
  }
  async write(path: string, keys: readonly string[]): Promise<void> {
    if (this.failWrite)
      throw new OwnershipWriteError(path, Object.assign(new Error('EACCES'), { code: 'EACCES' }));
    this.writes.push({ path, keys: [...keys] });
    this.text = encodeOwnershipRecord(keys);
  }
  last(): string[] | undefined {
    return this.writes.at(-1)?.keys;
  }
}

const noChecks = (): CheckManager => ({
  set: () => ({ added: [], removed: [], replaced: [], updated: [], unchanged: [] }),
  snapshot: () => [],
  get: () => undefined,
  stop: () => {},
});

/** these tests configure no script: running one is a mistake */
const noScripts: ScriptRunner = {
  run: () => Promise.reject(new Error('no script expected')),
};

function vs(port: number): string {
  return `  - {address: 192.0.2.50, port: ${port}, scheduler: rr, real_servers: [{address: 198.51.100.2, port: ${port}}]}\n`;
}
function config(ports: number[]): Config {
  const text = `global: {router_id: t, state_file: /x/owned.json}\nvirtual_servers:\n${ports.map(vs).join('')}`;
  const r = parseConfigText(text, 'test.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}
function service(port: number, address = '192.0.2.50', protocol: 'tcp' | 'udp' = 'tcp'): IpvsService {
  return {
    family: 4,
    protocol,
    address,
    port,
    scheduler: 'rr',
    flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
    timeoutS: 0,
    netmask: 32,
  };
}
/** The kernel after a run with ports 80 and 8080, plus C made by hand. */
function kernelAB_C(): IpvsTable {
  const t: IpvsTable = new Map();
  for (const [k, s] of [
    [A, service(80)],
    [B, service(8080)],
    [C, service(53, '192.0.2.60', 'udp')],
  ] as const)
    t.set(k, { service: s, dests: new Map() });
  return t;
}

async function startWith(cfg: Config, store: OwnershipStore | null, ipvs: FakeIpvs) {
  const lines: LogLine[] = [];
  const c = new LvsController(cfg, recordingLog(lines), {
    ipvs,
    ownership: store,
    runner: noScripts,
    clock: new FakeClock(),
    checks: noChecks,
  });
  await c.start();
  await flush();
  let current = cfg;
  /** a reload: the controller gets its slice of the diff, as from the daemon */
  const reload = (next: Config) => {
    const slice = diffConfig(current, next).lvs;
    current = next;
    return c.setConfig(next, slice);
  };
  return { c, lines, reload };
}

describe('the controller at a restart', () => {
  it('deletes a recorded service dropped from the config, keeps A and the hand-made C, records only A', async () => {
    const ipvs = new FakeIpvs();
    ipvs.table = kernelAB_C();
    const store = new MemoryStore(encodeOwnershipRecord([A, B]));
    const { c, lines } = await startWith(config([80]), store, ipvs);
    expect([...ipvs.table.keys()].sort()).toEqual([C, A].sort());
    expect(ipvs.applied.filter((o) => o.op === 'delete-service').length).toBe(1);
    // A untouched: its real server was added (none in the fake kernel) but A was never deleted
    expect(ipvs.applied.some((o) => o.op === 'add-service')).toBe(false);
    expect(store.last()).toEqual([A]);
    expect(store.writes[0]?.path).toBe('/x/owned.json');
    const removed = lines.filter((l) => l.fields.event === 'ipvs-stale-service-removed');
    expect(removed).toHaveLength(1);
    expect(removed[0]?.level).toBe('warn');
    expect(removed[0]?.fields.service).toBe(B);
    expect(removed[0]?.msg).toContain('record');
    c.stop();
  });

  it('without a record (missing file) nothing is deleted, one warning, and a record is written', async () => {
    const ipvs = new FakeIpvs();
    ipvs.table = kernelAB_C();
    const store = new MemoryStore(null);
    const { c, lines } = await startWith(config([80]), store, ipvs);
    expect(ipvs.table.size).toBe(3);
    expect(ipvs.applied.some((o) => o.op === 'delete-service')).toBe(false);
    const w = lines.filter((l) => l.fields.event === 'ipvs-ownership-record');
    expect(w.map((l) => [l.level, l.fields.code])).toEqual([['warn', 'OWNERSHIP_RECORD_MISSING']]);
    expect(store.last()).toEqual([A]);
    c.stop();
  });

  it('a corrupt record deletes nothing', async () => {
    const ipvs = new FakeIpvs();
    ipvs.table = kernelAB_C();
    const store = new MemoryStore('{"version":1,"services":["tcp:192.0.2.50:8080"');
    const { c, lines } = await startWith(config([80]), store, ipvs);
    expect(ipvs.table.size).toBe(3);
    expect(lines.find((l) => l.fields.event === 'ipvs-ownership-record')?.fields.code).toBe(
      'OWNERSHIP_RECORD_CORRUPT',
    );
    c.stop();
  });

  it('a failed stale deletion stays in the record and is retried', async () => {
    const ipvs = new FakeIpvs();
    ipvs.table = kernelAB_C();
    ipvs.failDelete = true;
    const store = new MemoryStore(encodeOwnershipRecord([A, B]));
    const { c, lines, reload } = await startWith(config([80]), store, ipvs);
    expect(ipvs.table.has(B)).toBe(true);
    expect(store.last()).toEqual([A, B]);
    expect(lines.some((l) => l.fields.event === 'ipvs-stale-service-removed')).toBe(false);
    // the next pass (a reload with the same config) tries again and succeeds
    ipvs.failDelete = false;
    await reload(config([80]));
    expect(ipvs.table.has(B)).toBe(false);
    expect(store.last()).toEqual([A]);
    expect(lines.filter((l) => l.fields.event === 'ipvs-stale-service-removed')).toHaveLength(1);
    c.stop();
  });

  it('a reload records the new config; a service it drops is deleted and leaves the record', async () => {
    const ipvs = new FakeIpvs();
    const store = new MemoryStore(null);
    const { c, reload } = await startWith(config([80, 8080]), store, ipvs);
    expect(store.last()).toEqual([A, B]);
    await reload(config([80]));
    expect(ipvs.table.has(B)).toBe(false);
    expect(store.last()).toEqual([A]);
    c.stop();
  });

  it('an unwritable record is warned about once; vrrpd runs on and the table is reconciled', async () => {
    const ipvs = new FakeIpvs();
    const store = new MemoryStore(null);
    store.failWrite = true;
    const { c, lines, reload } = await startWith(config([80]), store, ipvs);
    await reload(config([80, 8080]));
    expect(ipvs.table.has(A) && ipvs.table.has(B)).toBe(true);
    const w = lines.filter((l) => l.fields.code === 'OWNERSHIP_RECORD_UNWRITABLE');
    expect(w).toHaveLength(1);
    expect(w[0]?.level).toBe('warn');
    store.failWrite = false;
    await reload(config([80, 8080]));
    expect(store.last()).toEqual([A, B]);
    c.stop();
  });

  it('with no store (a fake kernel by default) nothing is read or written', async () => {
    const ipvs = new FakeIpvs();
    ipvs.table = kernelAB_C();
    const lines: LogLine[] = [];
    const c = new LvsController(config([80]), recordingLog(lines), {
      ipvs,
      runner: noScripts,
      clock: new FakeClock(),
      checks: noChecks,
    });
    await c.start();
    expect(ipvs.table.size).toBe(3);
    expect(lines.some((l) => l.fields.event === 'ipvs-ownership-record')).toBe(false);
    c.stop();
  });
});
