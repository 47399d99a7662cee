// global.vrrp_startup_delay, startup_script / shutdown_script, dynamic_interfaces and the
// twos scheduler: the schema and builders (errors with file:line:col), the importer's
// mapping of the keepalived keywords, and the start/stop script runs (src/daemon/start-stop-scripts.ts).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalived } from '../../src/config/keepalived-import.js';
import { runStartStopScript } from '../../src/daemon/start-stop-scripts.js';
import { createScriptRunner } from '../../src/effects/script-runner.js';
import { logThrough } from '../../src/log.js';
import { describeIpvsFailure } from '../../src/lvs/errors.js';
import { normalizeService } from '../../src/lvs/model.js';

function parse(text: string) {
  return parseConfigText(text, 'test.yaml', { hostname: 'h' });
}

describe('config', () => {
  it('builds the keys into the model with their defaults', () => {
    const r = parse(
      [
        'global:',
        '  vrrp_startup_delay: 5.5',
        '  dynamic_interfaces: true',
        '  startup_script:',
        '    command: [/usr/local/sbin/fw-up, eth0]',
        '    user: nobody',
        '    timeout: 30s',
        '  shutdown_script:',
        '    command: [/usr/local/sbin/fw-down]',
        'virtual_servers:',
        '  - address: 192.0.2.10',
        '    port: 80',
        '    scheduler: twos',
        '    real_servers: [{ address: 198.51.100.1, port: 80 }]',
        '',
      ].join('\n'),
    );
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    const g = r.config.global;
    expect(g.vrrpStartupDelayMs).toBe(5500);
    expect(g.dynamicInterfaces).toBe(true);
    expect(g.startupScript).toEqual({
      command: ['/usr/local/sbin/fw-up', 'eth0'],
      user: 'nobody',
      timeoutMs: 30000,
    });
    expect(g.shutdownScript).toEqual({ command: ['/usr/local/sbin/fw-down'], timeoutMs: 10000 });
    expect(r.config.virtualServers[0]?.scheduler).toBe('twos');
  });

  it('defaults: no delay, no scripts, interfaces must exist', () => {
    const r = parse('global: {}\n');
    if (!r.ok) throw new Error('config refused');
    expect(r.config.global.vrrpStartupDelayMs).toBe(0);
    expect(r.config.global.dynamicInterfaces).toBe(false);
    expect(r.config.global.startupScript).toBeUndefined();
  });

  it('bad values are refused with their line and column', () => {
    const r = parse(
      [
        'global:',
        '  vrrp_startup_delay: soon',
        '  startup_script:',
        '    timeout: 10x',
        '    command: [/bin/true]',
        '  shutdown_script:',
        '    user: nobody',
        '  dynamic_interfaces: maybe',
        '',
      ].join('\n'),
    );
    expect(r.ok).toBe(false);
    const text = r.ok ? '' : r.errors.map(formatConfigError).join('\n');
    expect(text).toMatch(/test\.yaml:2:\d+: .*vrrp_startup_delay/);
    expect(text).toMatch(/test\.yaml:4:\d+: .*timeout/);
    expect(text).toMatch(/test\.yaml:(6|7):\d+: .*command/);
    expect(text).toMatch(/test\.yaml:8:\d+: .*dynamic_interfaces/);
    const zero = parse('global:\n  shutdown_script:\n    command: [/bin/true]\n    timeout: 0s\n');
    expect(zero.ok).toBe(false);
    if (!zero.ok)
      expect(formatConfigError(zero.errors[0]!)).toMatch(/test\.yaml:4:\d+: .*timeout must be longer than 0/);
  });
});

describe('twos scheduler', () => {
  it('a kernel without ip_vs_twos (before Linux 6.2) gets the missing-scheduler message', () => {
    const svc = normalizeService({
      family: 4,
      protocol: 'tcp',
      address: '192.0.2.10',
      port: 80,
      scheduler: 'twos',
      flags: { persistent: false, onePacket: false, shFallback: false, shPort: false, sched3: false },
      timeoutS: 0,
      netmask: 32,
    });
    expect(describeIpvsFailure('ENOENT', { op: 'add-service', service: svc })).toBe(
      "scheduler 'twos' not available: load kernel module ip_vs_twos (modprobe ip_vs_twos)",
    );
  });
});

describe('import-keepalived', () => {
  const conf = (global: string) =>
    `global_defs {\n${global}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.10/24\n }\n}\n`;

  function importedGlobal(global: string) {
    const yaml = importKeepalived(conf(global), 'keepalived.conf');
    const r = parseConfigText(yaml, 'imported.yaml', { hostname: 'h' });
    if (!r.ok) throw new Error(`${yaml}\n${r.errors.map(formatConfigError).join('\n')}`);
    return { yaml, g: r.config.global };
  }

  it('startup_script / shutdown_script with user, group and timeouts (keepalived default 10 s)', () => {
    const { yaml, g } = importedGlobal(
      [
        ' startup_script_timeout 25',
        ' startup_script "/usr/local/sbin/fw-up eth0" nobody nogroup',
        ' shutdown_script /usr/local/sbin/fw-down',
      ].join('\n'),
    );
    expect(g.startupScript).toEqual({
      command: ['/usr/local/sbin/fw-up', 'eth0'],
      user: 'nobody',
      group: 'nogroup',
      timeoutMs: 25000,
    });
    expect(g.shutdownScript).toEqual({ command: ['/usr/local/sbin/fw-down'], timeoutMs: 10000 });
    expect(yaml).not.toContain('not carried over');
  });

  it('a timeout without its script, and a second script, are flagged', () => {
    const { yaml, g } = importedGlobal(
      [' shutdown_script_timeout 5', ' startup_script /bin/a', ' startup_script /bin/b'].join('\n'),
    );
    expect(g.startupScript?.command).toEqual(['/bin/a']);
    expect(g.shutdownScript).toBeUndefined();
    expect(yaml).toContain('# not carried over (line 2)');
    expect(yaml).toContain('there is no shutdown_script');
    expect(yaml).toContain('# not carried over (line 4)');
  });

  it('vrrp_startup_delay in (fractional) seconds', () => {
    expect(importedGlobal(' vrrp_startup_delay 5.5').g.vrrpStartupDelayMs).toBe(5500);
  });

  it('dynamic_interfaces, with and without allow_if_changes', () => {
    const plain = importedGlobal(' dynamic_interfaces');
    expect(plain.g.dynamicInterfaces).toBe(true);
    expect(plain.yaml).toContain('# note (line 2)');
    expect(plain.yaml).toContain('allow_if_changes');
    const changes = importedGlobal(' dynamic_interfaces allow_if_changes');
    expect(changes.g.dynamicInterfaces).toBe(true);
    expect(changes.yaml).not.toContain('(line 2)');
  });

  it('lb_algo twos', () => {
    const yaml = importKeepalived(
      'virtual_server 192.0.2.10 80 {\n lb_algo twos\n protocol TCP\n real_server 198.51.100.1 80 {\n }\n}\n',
      'keepalived.conf',
    );
    const r = parseConfigText(yaml, 'imported.yaml', { hostname: 'h' });
    if (!r.ok) throw new Error(`${yaml}\n${r.errors.map(formatConfigError).join('\n')}`);
    expect(r.config.virtualServers[0]?.scheduler).toBe('twos');
  });
});

describe('start/stop scripts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-startstop-'));
  chmodSync(dir, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  };
  const runner = createScriptRunner({ killGraceMs: 200 });
  const logs: { level: string; fields: Record<string, unknown>; msg?: string }[] = [];
  const log = logThrough((level, fields, msg) => logs.push({ level, fields, ...(msg ? { msg } : {}) }));
  const global = parse('global: {}\n');
  if (!global.ok) throw new Error('config refused');
  const g = global.config.global;

  it('logs output and exit; a failure is a warning, never a throw', async () => {
    logs.length = 0;
    const ok = script('ok.sh', 'echo "up $VRRPD_EVENT"');
    await runStartStopScript('startup', { command: [ok], timeoutMs: 5000 }, g, runner, log);
    const done = logs.find((l) => l.msg === 'startup script done');
    expect(done?.fields).toMatchObject({ event: 'startup-script', code: 0, timedOut: false });
    expect(String(done?.fields.output)).toContain('up startup');
    const bad = script('bad.sh', 'echo nope; exit 3');
    await runStartStopScript('shutdown', { command: [bad], timeoutMs: 5000 }, g, runner, log);
    expect(logs.at(-1)).toMatchObject({
      level: 'warn',
      fields: { code: 3 },
      msg: 'shutdown script failed (exit 3)',
    });
    await runStartStopScript(
      'shutdown',
      { command: [join(dir, 'absent.sh')], timeoutMs: 5000 },
      g,
      runner,
      log,
    );
    expect(logs.at(-1)?.fields.errorCode).toBe('SCRIPT_NOT_FOUND');
  });

  it('a hung script is killed at its timeout', async () => {
    logs.length = 0;
    const hung = script('hung.sh', 'sleep 30');
    const t0 = performance.now();
    await runStartStopScript('shutdown', { command: [hung], timeoutMs: 300 }, g, runner, log);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(logs.at(-1)).toMatchObject({ level: 'warn', fields: { timedOut: true } });
    expect(logs.at(-1)?.msg).toContain('killed after its timeout');
  });
});
