// track_processes: matching (comm, argv[0], param_match), the counting from a /proc scan and
// from process events (fork inherits, exec looks again, exit removes), quorum and
// quorum_max, fork_delay / terminate_delay on a fake clock, the /proc fallback when the
// connector is missing, and the connector's message codec. /proc here is a directory the
// test writes; the kernel's own connector is exercised by the netns test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrackProcess } from '../../src/config/model.js';
import type { OpenProcEvents, ProcEvent } from '../../src/effects/types.js';
import { parseCnProc, subscribeMessage } from '../../src/netlink/cn-proc.js';
import { parseStat, processMatches, splitCmdline } from '../../src/vrrp/process-match.js';
import { FALLBACK_SCAN_MS, TrackProcesses } from '../../src/vrrp/track-processes.js';
import { type LogLine, recordingLog } from '../helpers/log.js';
import { FakeClock, loadConfig, yaml } from './engine-fakes.js';

const tp = (o: Partial<TrackProcess>): TrackProcess => ({
  name: 't',
  process: 'haproxy',
  paramMatch: 'none',
  args: [],
  fullCommand: false,
  quorum: 1,
  quorumMax: Number.POSITIVE_INFINITY,
  weight: 0,
  reverse: false,
  forkDelayMs: 0,
  terminateDelayMs: 0,
  ...o,
});
const proc = (comm: string, argv: string[] = [], zombie = false) => ({ comm, argv, zombie });

describe('process matching (keepalived vrrp_track_process)', () => {
  it('comm by default; argv[0] with full_command; zombies never', () => {
    expect(processMatches(tp({}), proc('haproxy'))).toBe(true);
    expect(processMatches(tp({}), proc('haproxy', [], true))).toBe(false);
    expect(processMatches(tp({}), proc('haproxy2'))).toBe(false);
    const full = tp({ process: '/usr/sbin/haproxy', fullCommand: true });
    expect(processMatches(full, proc('haproxy', ['/usr/sbin/haproxy', '-f', 'x']))).toBe(true);
    expect(processMatches(full, proc('haproxy', ['haproxy']))).toBe(false);
  });

  it('param_match exact, partial (whole leading arguments), initial (the last may be a prefix)', () => {
    const base = { process: '/bin/sleep', fullCommand: true, args: ['100', 'x'] };
    const argv = (...a: string[]) => proc('sleep', ['/bin/sleep', ...a]);
    const exact = tp({ ...base, paramMatch: 'exact' });
    expect(processMatches(exact, argv('100', 'x'))).toBe(true);
    expect(processMatches(exact, argv('100', 'x', 'y'))).toBe(false);
    expect(processMatches(exact, argv('100'))).toBe(false);
    expect(processMatches(tp({ ...base, args: [], paramMatch: 'exact' }), argv())).toBe(true);
    expect(processMatches(tp({ ...base, args: [], paramMatch: 'exact' }), argv('1'))).toBe(false);
    const partial = tp({ ...base, paramMatch: 'partial' });
    expect(processMatches(partial, argv('100', 'x', 'y'))).toBe(true);
    expect(processMatches(partial, argv('100', 'xy'))).toBe(false);
    const initial = tp({ ...base, paramMatch: 'initial' });
    expect(processMatches(initial, argv('100', 'xy', 'z'))).toBe(true);
    expect(processMatches(initial, argv('1000', 'x'))).toBe(false);
  });

  it('reads /proc/PID/stat (a comm with blanks and parentheses) and cmdline', () => {
    expect(parseStat('42 (my (odd) name) S 1 42')).toEqual({ comm: 'my (odd) name', state: 'S' });
    expect(parseStat('43 (z) Z 1')?.state).toBe('Z');
    expect(splitCmdline(Buffer.from('/bin/sleep\x00100\x00'))).toEqual(['/bin/sleep', '100']);
  });
});

describe('the process connector codec', () => {
  it('the subscribe message, and fork / exec / comm / exit events (threads left out)', () => {
    const sub = subscribeMessage(true);
    expect(sub.length).toBe(40);
    expect(sub.readUInt32LE(0)).toBe(40);
    expect(sub.readUInt32LE(16)).toBe(1); // CN_IDX_PROC
    expect(sub.readUInt32LE(36)).toBe(1); // PROC_CN_MCAST_LISTEN
    const ev = (what: number, ...ints: number[]) => {
      const data = Buffer.alloc(16 + 24);
      data.writeUInt32LE(what >>> 0, 0);
      for (const [i, v] of ints.entries()) data.writeInt32LE(v, 16 + i * 4);
      const b = Buffer.alloc(16 + 20 + data.length);
      b.writeUInt32LE(b.length, 0);
      b.writeUInt32LE(1, 16);
      b.writeUInt32LE(1, 20);
      b.writeUInt16LE(data.length, 32);
      data.copy(b, 36);
      return b;
    };
    const all = Buffer.concat([
      ev(0x1, 10, 10, 11, 11),
      ev(0x1, 10, 10, 12, 11), // a thread of 11
      ev(0x2, 11, 11),
      ev(0x80000000, 11, 11, 0, 9),
      ev(0x80000000, 12, 11, 0, 0), // a thread's exit
      ev(0x0, 0),
    ]);
    expect(parseCnProc(all)).toEqual([
      { type: 'fork', parentPid: 10, childPid: 11 },
      { type: 'exec', pid: 11 },
      { type: 'exit', pid: 11 },
      { type: 'ack', err: 0 },
    ]);
  });
});

describe('TrackProcesses', () => {
  let root: string;
  let lines: LogLine[];
  let clock: FakeClock;
  let reports: [string, boolean][];
  let emit: ((e: ProcEvent) => void) | null;
  const events: OpenProcEvents = async (onEvent) => {
    emit = onEvent;
    return { where: 'this network namespace', close: () => {} };
  };
  const spawnFake = (pid: number, comm: string, argv: string[] = [comm]) => {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), 'stat'), `${pid} (${comm}) S 1 1`);
    writeFileSync(join(root, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
  };
  const killFake = (pid: number) => rmSync(join(root, String(pid)), { recursive: true, force: true });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vrrpd-proc-'));
    lines = [];
    clock = new FakeClock();
    reports = [];
    emit = null;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const tracker = (text: string, open: OpenProcEvents | null = events) =>
    new TrackProcesses(
      loadConfig(yaml(text, 'vrrp_instances: []')),
      recordingLog(lines),
      (n, ok) => reports.push([n, ok]),
      clock,
      open,
      root,
    );

  it('counts from the scan, then from events: fork inherits, exec looks again, exit removes', async () => {
    spawnFake(100, 'haproxy');
    spawnFake(200, 'bash');
    const t = tracker('track_processes:\n  hp: {process: haproxy, quorum: 2}');
    await t.start();
    expect(t.following).toBe('events');
    expect(reports).toEqual([['hp', false]]);
    // haproxy forks a worker: it counts at once (keepalived: the parent's trackers)
    emit!({ type: 'fork', parentPid: 100, childPid: 101 });
    expect(reports).toEqual([
      ['hp', false],
      ['hp', true],
    ]);
    expect(t.snapshot()).toEqual([{ name: 'hp', processes: 2, quorum: true, pending: false, weight: 0 }]);
    // bash forks and execs something else: never counted
    emit!({ type: 'fork', parentPid: 200, childPid: 201 });
    spawnFake(201, 'vi');
    emit!({ type: 'exec', pid: 201 });
    expect(t.snapshot()[0]!.processes).toBe(2);
    // the worker execs into something else: no longer counted
    spawnFake(101, 'sh');
    emit!({ type: 'exec', pid: 101 });
    expect(reports.at(-1)).toEqual(['hp', false]);
    // a new haproxy started from bash
    spawnFake(300, 'haproxy');
    emit!({ type: 'fork', parentPid: 200, childPid: 300 });
    emit!({ type: 'exec', pid: 300 });
    expect(reports.at(-1)).toEqual(['hp', true]);
    killFake(300);
    emit!({ type: 'exit', pid: 300 });
    expect(reports.at(-1)).toEqual(['hp', false]);
    t.stop();
  });

  it('quorum_max: too many processes lose the quorum', async () => {
    spawnFake(100, 'worker');
    const t = tracker('track_processes:\n  w: {process: worker, quorum: 1, quorum_max: 2}');
    await t.start();
    emit!({ type: 'fork', parentPid: 100, childPid: 101 });
    expect(reports.at(-1)).toEqual(['w', true]);
    emit!({ type: 'fork', parentPid: 100, childPid: 102 });
    expect(reports.at(-1)).toEqual(['w', false]);
    emit!({ type: 'exit', pid: 102 });
    expect(reports.at(-1)).toEqual(['w', true]);
    t.stop();
  });

  it('quorum_max 0: up only while no matching process runs (keepalived sets quorum 0)', async () => {
    const t = tracker('track_processes:\n  none: {process: rogue, quorum_max: 0}');
    await t.start();
    expect(reports.at(-1)).toEqual(['none', true]);
    spawnFake(400, 'rogue');
    emit!({ type: 'fork', parentPid: 1, childPid: 400 });
    emit!({ type: 'exec', pid: 400 });
    expect(reports.at(-1)).toEqual(['none', false]);
    killFake(400);
    emit!({ type: 'exit', pid: 400 });
    expect(reports.at(-1)).toEqual(['none', true]);
    t.stop();
  });

  it('fork_delay and terminate_delay: a change acts only when it lasts; a flap cancels it', async () => {
    spawnFake(100, 'svc');
    const t = tracker('track_processes:\n  s: {process: svc, fork_delay: 2s, terminate_delay: 1s}');
    await t.start();
    expect(reports).toEqual([['s', true]]); // the first count acts at once
    emit!({ type: 'exit', pid: 100 });
    expect(t.snapshot()[0]).toMatchObject({ processes: 0, quorum: true, pending: true });
    await clock.advance(999);
    expect(reports).toEqual([['s', true]]);
    await clock.advance(1);
    expect(reports).toEqual([
      ['s', true],
      ['s', false],
    ]);
    // back, gone again before fork_delay: nothing reported
    spawnFake(100, 'svc');
    emit!({ type: 'exec', pid: 100 });
    await clock.advance(1500);
    emit!({ type: 'exit', pid: 100 });
    await clock.advance(5000);
    expect(reports).toEqual([
      ['s', true],
      ['s', false],
    ]);
    t.stop();
  });

  it('no connector: says so and reads /proc every FALLBACK_SCAN_MS', async () => {
    const refuse: OpenProcEvents = async () => {
      throw Object.assign(new Error('socket: EPROTONOSUPPORT'), { code: 'EPROTONOSUPPORT' });
    };
    const t = tracker('track_processes:\n  s: {process: svc, weight: -10}', refuse);
    await t.start();
    expect(t.following).toBe('scan');
    expect(lines.some((l) => l.level === 'warn' && l.fields.event === 'track-process-fallback')).toBe(true);
    expect(reports).toEqual([['s', false]]);
    spawnFake(100, 'svc');
    await clock.advance(FALLBACK_SCAN_MS);
    expect(reports).toEqual([
      ['s', false],
      ['s', true],
    ]);
    t.stop();
    expect(clock.pending()).toEqual([]);
  });
});
