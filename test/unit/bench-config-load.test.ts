// A small slice of bench/config-load (the whole bench is a bench, not a test): its
// generated files load in both daemons, and the bench runs end to end and prints its
// tables, so it does not rot between full runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepalivedConf, vrrpdYaml } from '../../bench/config-load.js';
import { parseConfigText } from '../../src/config/index.js';
import { missing } from '../helpers/env.js';

const root = join(import.meta.dirname, '../..');
const skip = missing({ commands: ['keepalived', '/usr/bin/time'] });

describe('bench/config-load', () => {
  it('generates the same table for both daemons, each file accepted', () => {
    const r = parseConfigText(vrrpdYaml(250), 'b.yaml', { hostname: 'h' });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.virtualServers).toHaveLength(3);
      expect(r.config.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0)).toBe(250);
    }
    const conf = keepalivedConf(250);
    expect(conf.match(/^virtual_server /gm)).toHaveLength(3);
    expect(conf.match(/^ {2}real_server /gm)).toHaveLength(250);
  });

  it.skipIf(skip !== null)('keepalived -t accepts the generated keepalived.conf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-ka-'));
    try {
      const f = join(dir, 'k.conf');
      writeFileSync(f, keepalivedConf(250));
      execFileSync('keepalived', ['-t', '-f', f], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skip !== null)('runs end to end on a small table and prints both tables', () => {
    const out = execFileSync(
      process.execPath,
      [join(root, 'dist/bench/config-load.js'), '--sizes', '300', '--runs', '1'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(out).toMatch(/\| 300 \| [\d,]+ \| [\d,]+ \| [\d.]+ \|/);
    expect(out).toContain('Inside one warm process');
  });
});
