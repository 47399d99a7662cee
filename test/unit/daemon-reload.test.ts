// daemon/reload.ts: a bad file is refused before anything moves; a good one is diffed once
// and each part receives its own slice (ARCHITECTURE rules 8 and 12).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, parseConfigText } from '../../src/config/index.js';
import { type ReloadParts, reloadFile } from '../../src/daemon/reload.js';
import { createLogger } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), `vreload${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = [
  'global: {router_id: lb1, log_level: info}',
  'vrrp_instances:',
  '  - {name: VI_1, interface: eth0, vrid: 51, priority: 150, virtual_ips: [192.0.2.50/24]}',
  '  - {name: VI_2, interface: eth0, vrid: 52, virtual_ips: [192.0.2.60/24]}',
  'virtual_servers:',
  '  - {address: 192.0.2.50, port: 80, real_servers: [{address: 198.51.100.2, port: 80}]}',
  '',
].join('\n');

function parse(text: string): Config {
  const r = parseConfigText(text, 'running.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

/** Parts that record what each received. */
function recordingParts(opts: { vrrpFails?: boolean } = {}) {
  const got: Record<string, unknown> = {};
  const log = createLogger({ destination: { write: () => {} } });
  const parts: ReloadParts = {
    log,
    vrrp: async (_next, instances) => {
      got.vrrp = instances;
      if (opts.vrrpFails) throw new Error('the VRRP engine did not answer in time');
      return 'instances: …';
    },
    notify: (_next, syncGroups) => {
      got.notify = syncGroups;
    },
    trackScripts: (_next, slice) => {
      got.trackScripts = slice;
    },
    lvs: async (_next, slice) => {
      got.lvs = slice;
    },
    control: async (_next, slice) => {
      got.control = slice;
      return [];
    },
    applied: () => {
      got.applied = true;
    },
  };
  return { parts, got, log };
}

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('reloadFile', () => {
  it('a bad file is refused with FILE:LINE:COL and no part is touched', async () => {
    const { parts, got } = recordingParts();
    const f = file('bad.yaml', `${BASE}bogus_key: 1\n`);
    const r = await reloadFile(f, parse(BASE), parts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(new RegExp(`^${f}:\\d+:\\d+: `));
    expect(got).toEqual({});
  });

  it('the same file: every part gets its slice, and every slice says nothing changed', async () => {
    const { parts, got } = recordingParts();
    const r = await reloadFile(file('same.yaml', BASE), parse(BASE), parts);
    expect(r.ok).toBe(true);
    expect(got.vrrp).toEqual({ added: [], removed: [], changed: [], unchanged: ['VI_1', 'VI_2'] });
    expect(got.notify).toEqual({ added: [], removed: [], changed: [], unchanged: [] });
    expect(got.trackScripts).toEqual({
      vrrpScripts: { added: [], removed: [], changed: [], unchanged: [] },
      scriptUserChanged: false,
    });
    expect(got.lvs).toMatchObject({
      virtualServers: { changed: [], unchanged: ['tcp:192.0.2.50:80'] },
      scriptUserChanged: false,
    });
    expect(got.control).toEqual({ socketChanged: false, metricsChanged: false, snmpChanged: false });
    expect(got.applied).toBe(true);
  });

  it('a new log level is applied to the logger and named in the summary', async () => {
    const { parts, log } = recordingParts();
    const r = await reloadFile(
      file('debug.yaml', BASE.replace('log_level: info', 'log_level: debug')),
      parse(BASE),
      parts,
    );
    expect(r.ok && r.summary).toMatch(/global: log level debug/);
    expect(log.level).toBe('debug');
  });

  it('an engine that fails the reload: refused, the running config stays (applied is not called)', async () => {
    const { parts, got } = recordingParts({ vrrpFails: true });
    const r = await reloadFile(
      file('prio.yaml', BASE.replace('priority: 150', 'priority: 120')),
      parse(BASE),
      parts,
    );
    expect(r).toEqual({ ok: false, refused: false, errors: ['the VRRP engine did not answer in time'] });
    expect(got.vrrp).toMatchObject({ changed: ['VI_1'], unchanged: ['VI_2'] });
    expect(got.applied).toBeUndefined();
    expect(got.lvs).toBeUndefined();
  });
});
