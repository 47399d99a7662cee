// The shipped Prometheus alert rules (conf/prometheus/vrrpd-alerts.yml): checked and
// unit-tested by the real promtool, and held to what an operator needs from each alert
// (severity, a summary and a description, a `for:`), with a firing and a quiet case for
// every alert in conf/prometheus/vrrpd-alerts.test.yml.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DROP_REASONS } from '../../src/control/snapshot.js';
import { missing } from '../helpers/env.js';
import { alertRules, dashboardExprs, RULES_DIR, RULES_FILE } from '../helpers/promql.js';

const execFileP = promisify(execFile);
const why = missing({ commands: ['promtool'] });
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TESTS_FILE = join(RULES_DIR, 'vrrpd-alerts.test.yml');

async function promtool(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await execFileP('promtool', args, { cwd: RULES_DIR, timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout}${err.stderr}` };
  }
}

interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}

describe('Prometheus alert rules', () => {
  const rules = alertRules();

  it('every alert has a severity, a summary, a description and a for:', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'VrrpdAdvertDrops',
        'VrrpdDown',
        'VrrpdEngineLate',
        'VrrpdInstanceFlapping',
        'VrrpdMasterWithoutVip',
        'VrrpdNoMaster',
        'VrrpdRealServerDown',
        'VrrpdReloadFailed',
        'VrrpdReloadRefused',
        'VrrpdTwoMasters',
        'VrrpdUnmatchedAdvertDrops',
        'VrrpdVirtualServerQuorumLost',
      ].sort(),
    );
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary?.length ?? 0, r.alert).toBeGreaterThan(20);
      expect(r.annotations?.description?.length ?? 0, r.alert).toBeGreaterThan(100);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it('the unit tests give every alert a firing and a quiet case', () => {
    const doc = parse(readFileSync(TESTS_FILE, 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] };
    const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const r of rules) {
      const mine = cases.filter((c) => c.alertname === r.alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${r.alert} fires in no test`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${r.alert} has no quiet case`,
      ).toBe(true);
    }
  });

  it('names only drop reasons vrrpd counts (a renamed reason must be renamed here too)', () => {
    const known = new Set<string>(DROP_REASONS);
    const named = new Set<string>();
    for (const text of [
      ...rules.flatMap((r) => [r.expr, r.annotations?.description ?? '']),
      ...dashboardExprs().map((e) => e.expr),
    ]) {
      for (const m of text.matchAll(/reason\s*(?:!~|=~|!=|=)\s*"([^"]*)"/g))
        for (const r of (m[1] ?? '').split('|')) named.add(r);
      for (const m of text.matchAll(/eq \$labels\.reason "([^"]*)"/g)) named.add(m[1] ?? '');
    }
    expect(named.size).toBeGreaterThan(3);
    expect([...named].filter((r) => !known.has(r))).toEqual([]);
  });

  it.skipIf(why)('promtool check rules', async () => {
    const r = await promtool(['check', 'rules', RULES_FILE]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it.skipIf(why)('promtool test rules', async () => {
    const r = await promtool(['test', 'rules', TESTS_FILE]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('the rules file is the one the README points at', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('conf/prometheus/vrrpd-alerts.yml');
  });
});
