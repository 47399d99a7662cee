// `vrrpd status` / `vrrpd reload`: the pure renderer on fixed snapshots, the commands run
// in-process against a real control server, and the real CLI's exit codes.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReload } from '../../src/cli/reload.js';
import { runStatus, type StatusIo } from '../../src/cli/status.js';
import { exampleSnapshot } from '../../src/control/example.js';
import type { ReloadResult } from '../../src/control/protocol.js';
import { formatDuration, renderStatus } from '../../src/control/render.js';
import { type ControlServer, createControlServer } from '../../src/control/server.js';
import { endpointKey, isSnapshot, type Snapshot, virtualServerKey } from '../../src/control/snapshot.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');

describe('renderStatus', () => {
  it('renders a two-instance snapshot as a table a person reads at a glance', () => {
    expect(renderStatus(exampleSnapshot(), { color: false, now: NOW })).toBe(
      [
        'vrrpd 0.1.0 on lb1: pid 4242, up 2h00m, config /etc/vrrpd/vrrpd.yaml (loaded 30m00s ago)',
        '',
        'INSTANCE  IFACE  VRID  VER  STATE   PRIO  EFF  MASTER              SINCE                               VIPS',
        'VI_1      eth0   51    v3   MASTER  150   150  this router         12m00s ago (master-down-timer)      192.0.2.50/24, 2001:db8::50/64',
        'VI_2      eth1   52    v2   BACKUP  100   80   198.51.100.1 (200)  1h59m ago (higher-priority-advert)  198.51.100.50/32 (absent)',
        'sync group G1: MASTER (VI_1)',
        'scripts: chk_haproxy failing (exit code 1)',
        'drops: VI_2: auth-failure=1 ttl=3; not matched to an instance: vrid=5',
        '',
        'tcp/192.0.2.50:80  wrr, nat  1/2 up, quorum 1 met',
        '  REAL SERVER      HEALTH  WEIGHT  IPVS  CHECK  LAST RESULT',
        '  198.51.100.2:80  UP      2       yes   http   ok (3 ms, 1s ago)',
        '  198.51.100.3:80  DOWN    1       no    tcp    connection refused (1 ms, 2s ago)',
        '',
      ].join('\n'),
    );
  });

  it('uses ANSI colour only when asked', () => {
    const plain = renderStatus(exampleSnapshot(), { color: false, now: NOW });
    const coloured = renderStatus(exampleSnapshot(), { color: true, now: NOW });
    expect(plain).not.toContain('\x1b[');
    expect(coloured).toContain('\x1b[32mMASTER\x1b[0m');
    expect(coloured).toContain('\x1b[31mDOWN  \x1b[0m');
    // colour codes are added after padding: stripping them gives the plain text back
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes on purpose
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });

  it('flags a refused reload, lost quorum, IPVS trouble, an inhibited weight and bracketed IPv6', () => {
    const s = exampleSnapshot();
    s.daemon.lastReload = { at: '2026-11-22T09:59:00.000Z', ok: false, errors: ['a:1:1: x', 'a:2:1: y'] };
    const vs = s.virtualServers[0]!;
    vs.quorum = 2;
    vs.quorumUp = false;
    vs.sorryActive = true;
    vs.realServers[0]!.ipvsWeight = 0;
    vs.realServers[0]!.address = '2001:db8::2';
    s.ipvs = { available: true, lastReconcileAt: null, lastReconcileOps: 0, lastError: 'EPERM from IPVS' };
    const text = renderStatus(s, { color: false, now: NOW });
    expect(text).toContain('last reload REFUSED 1m00s ago (2 error(s)); the previous config is running');
    expect(text).toContain(
      'tcp/192.0.2.50:80  wrr, nat, sorry server 198.51.100.99:80  1/2 up, quorum 2 LOST',
    );
    expect(text).toContain('[2001:db8::2]:80');
    expect(text).toContain('2 (ipvs 0)');
    expect(text).toContain('IPVS: last reconciliation failed: EPERM from IPVS');
  });

  it('says when ha_suspend suspends the checks of a virtual server', () => {
    const s = exampleSnapshot();
    s.virtualServers[0]!.checksSuspended = true;
    expect(renderStatus(s, { color: false, now: NOW })).toContain(
      'tcp/192.0.2.50:80  wrr, nat, checks suspended (ha_suspend: address not local)',
    );
    expect(renderStatus(exampleSnapshot(), { color: false, now: NOW })).not.toContain('checks suspended');
  });

  it('renders an empty daemon without crashing', () => {
    const s = exampleSnapshot();
    s.instances = [];
    s.virtualServers = [];
    s.syncGroups = [];
    s.vrrpScripts = [];
    s.globalDrops = {};
    const text = renderStatus(s, { color: false, now: NOW });
    expect(text).toContain('no VRRP instances');
    expect(text).toContain('drops: none');
  });

  it('formats durations compactly', () => {
    expect([0, 59, 60, 3599, 3600, 86399, 90061].map(formatDuration)).toEqual([
      '0s',
      '59s',
      '1m00s',
      '59m59s',
      '1h00m',
      '23h59m',
      '1d01h',
    ]);
  });
});

describe('snapshot helpers', () => {
  it('names virtual and real servers the same way everywhere', () => {
    expect(endpointKey('198.51.100.2', 80)).toBe('198.51.100.2:80');
    expect(endpointKey('2001:db8::2', 80)).toBe('[2001:db8::2]:80');
    expect(virtualServerKey({ protocol: 'tcp', address: '192.0.2.50', port: 80 })).toBe('tcp/192.0.2.50:80');
    expect(virtualServerKey({ protocol: 'udp', address: '2001:db8::50', port: 53 })).toBe(
      'udp/[2001:db8::50]:53',
    );
    expect(virtualServerKey({ protocol: 'tcp', fwmark: 10, family: 4 })).toBe('fwmark/10');
    expect(virtualServerKey({ protocol: 'tcp', fwmark: 10, family: 6 })).toBe('fwmark/10/6');
  });

  it('the example document is a valid snapshot and survives JSON', () => {
    const s = exampleSnapshot();
    expect(isSnapshot(s)).toBe(true);
    expect(isSnapshot(JSON.parse(JSON.stringify(s)))).toBe(true);
    expect(isSnapshot({ ...s, version: 2 })).toBe(false);
    for (const vs of s.virtualServers) expect(virtualServerKey(vs)).toBe(vs.key);
  });
});

describe('status and reload commands against a control server', () => {
  let dir: string;
  let srv: ControlServer;
  let path: string;
  let reloadAnswer: ReloadResult = { ok: true, summary: 'reloaded: 1 instance changed, 0 added, 0 removed' };
  let snapshot: Snapshot = exampleSnapshot();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `vst${process.pid}-`));
    path = join(dir, 'vrrpd.sock');
    srv = await createControlServer({
      path,
      handlers: { status: () => snapshot, reload: async () => reloadAnswer },
    });
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function io(over: Partial<StatusIo> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const base: StatusIo = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      isTty: false,
      color: false,
      now: () => NOW,
      stopSignal: new Promise(() => {}),
      intervalMs: 20,
    };
    return { io: { ...base, ...over }, out, err };
  }

  it('prints the table, and the document itself with --json', async () => {
    const t = io();
    expect(await runStatus({ socket: path }, t.io)).toBe(0);
    expect(t.out.join('')).toBe(renderStatus(exampleSnapshot(), { color: false, now: NOW }));
    const j = io();
    expect(await runStatus({ socket: path, json: true }, j.io)).toBe(0);
    expect(JSON.parse(j.out.join(''))).toEqual(exampleSnapshot());
  });

  it('--watch re-renders until stopped, and keeps going through a failed poll', async () => {
    let stop = () => {};
    const stopSignal = new Promise<void>((r) => {
      stop = r;
    });
    const t = io({ stopSignal });
    const done = runStatus({ socket: path, json: true, watch: true }, t.io);
    await new Promise((r) => setTimeout(r, 200));
    snapshot = { version: 99 } as unknown as Snapshot; // a poll the CLI cannot read
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(await done).toBe(0);
    snapshot = exampleSnapshot();
    expect(t.out.length).toBeGreaterThanOrEqual(3);
    for (const line of t.out) expect(JSON.parse(line).version).toBe(1);
    expect(t.err.join('')).toContain('does not understand (version 99)');
  });

  it('exits 2 with one line when the daemon is not running', async () => {
    const t = io();
    expect(await runStatus({ socket: join(dir, 'nope.sock') }, t.io)).toBe(2);
    expect(t.err).toEqual([`vrrpd: vrrpd is not running (no control socket at ${join(dir, 'nope.sock')})\n`]);
  });

  it('reload: prints the summary (0), the errors of a refused file (1), unreachable (2)', async () => {
    const ok = io();
    expect(await runReload({ socket: path }, ok.io)).toBe(0);
    expect(ok.out).toEqual(['reloaded: 1 instance changed, 0 added, 0 removed\n']);

    reloadAnswer = { ok: false, errors: ['/etc/vrrpd/vrrpd.yaml:12:7: vrid must be 1-255'] };
    const bad = io();
    expect(await runReload({ socket: path }, bad.io)).toBe(1);
    expect(bad.err).toEqual([
      'vrrpd: configuration refused (1 error(s)); the running configuration is unchanged\n',
      '/etc/vrrpd/vrrpd.yaml:12:7: vrid must be 1-255\n',
    ]);

    const gone = io();
    expect(await runReload({ socket: join(dir, 'nope.sock') }, gone.io)).toBe(2);
  });

  it('the status and reload commands exit 2 with one stderr line and nothing on stdout', async () => {
    // The commands as commander runs them, in a child process. Built on a bare program
    // rather than src/cli/main.ts, so other commands' imports don't affect this test.
    const socket = join(dir, 'absent.sock');
    const script = (cmd: string) => `
      const { Command } = await import('commander');
      const { tsImport } = await import('tsx/esm/api');
      const m = await tsImport('./src/cli/${cmd}.ts', import.meta.url);
      const program = new Command();
      m.register${cmd === 'status' ? 'Status' : 'Reload'}Command(program);
      await program.parseAsync(['node', 'vrrpd', '${cmd}', '-s', ${JSON.stringify(socket)}]);`;
    for (const cmd of ['status', 'reload']) {
      const res = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script(cmd)],
          { cwd: process.cwd(), timeout: 15_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
        ),
      );
      expect(res).toEqual({
        code: 2,
        stdout: '',
        stderr: `vrrpd: vrrpd is not running (no control socket at ${socket})\n`,
      });
    }
  });
});
