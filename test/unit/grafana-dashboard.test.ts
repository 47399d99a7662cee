// The shipped Grafana dashboard (conf/grafana/vrrpd-dashboard.json): importable as it is
// (a data source variable, every panel and query on it, unique ids, panels inside the
// 24-column grid), every PromQL expression parsed by the real promtool, and the panels
// an operator needs present. That every metric it names exists in a live scrape is
// test/netns/ops-observability.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { missing } from '../helpers/env.js';
import {
  dashboard,
  dashboardExprs,
  dashboardPanels,
  metricNames,
  withoutGrafanaVariables,
} from '../helpers/promql.js';

const execFileP = promisify(execFile);
const why = missing({ commands: ['promtool'] });
type Json = Record<string, unknown>;

describe('Grafana dashboard', () => {
  const d = dashboard();
  const panels = dashboardPanels(d);
  const dir = mkdtempSync(join(tmpdir(), `vrrpd-dash-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has a Prometheus data source variable that every panel and query uses', () => {
    const vars = (d.templating as { list: Json[] }).list;
    expect(vars.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
    const ds = { type: 'prometheus', uid: '${datasource}' };
    for (const v of vars.filter((x) => x.type === 'query')) expect(v.datasource, String(v.name)).toEqual(ds);
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource, String(p.title)).toEqual(ds);
      const targets = p.targets as Json[];
      expect(targets.length, String(p.title)).toBeGreaterThan(0);
      for (const t of targets) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(ds);
      expect(new Set(targets.map((t) => t.refId)).size, String(p.title)).toBe(targets.length);
    }
  });

  it('unique panel ids, a uid, panels inside the grid', () => {
    expect(d.uid).toBe('vrrpd-overview');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      const g = p.gridPos as { x: number; y: number; w: number; h: number };
      expect(g.x + g.w, String(p.title)).toBeLessThanOrEqual(24);
      expect(g.h, String(p.title)).toBeGreaterThan(0);
    }
  });

  it('shows what an operator looks for', () => {
    const used = new Set(dashboardExprs(d).flatMap((e) => metricNames(e.expr)));
    for (const name of [
      'vrrpd_vrrp_instance_state', // states per director, masters per VRID
      'vrrpd_vrrp_instance_transitions_total',
      'vrrpd_drops_total',
      'vrrpd_real_server_health',
      'vrrpd_real_server_weight',
      'vrrpd_virtual_server_quorum',
      'vrrpd_check_results_total',
      'vrrpd_check_duration_seconds_bucket',
      'vrrpd_config_reloads_total',
      'vrrpd_process_cpu_seconds_total',
      'vrrpd_process_resident_memory_bytes',
      'vrrpd_nodejs_eventloop_lag_p99_seconds',
    ])
      expect(used, name).toContain(name);
  });

  it.skipIf(why)('every expression parses (promtool check rules)', async () => {
    const exprs = dashboardExprs(d);
    expect(exprs.length).toBeGreaterThan(20);
    const rules = exprs.map((e, i) => ({
      record: `dashboard:expr_${i}`,
      expr: withoutGrafanaVariables(e.expr),
    }));
    const file = join(dir, 'dashboard-exprs.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = await execFileP('promtool', ['check', 'rules', file], { timeout: 60_000 }).catch(
      (e: { stdout?: string; stderr?: string }) => ({
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
        failed: true,
      }),
    );
    const where = exprs.map((e, i) => `expr_${i}: ${e.where}`).join('\n');
    expect('failed' in r, `${r.stdout}${r.stderr}\n${where}`).toBe(false);
    expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
