// The shipped Prometheus rules and Grafana dashboard (conf/prometheus, conf/grafana) as
// test data: every PromQL expression they hold, Grafana's variables replaced so that
// promtool can parse it, and the metric names an expression selects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RULES_DIR = join(ROOT, 'conf/prometheus');
export const RULES_FILE = join(RULES_DIR, 'vrrpd-alerts.yml');
export const DASHBOARD_FILE = join(ROOT, 'conf/grafana/vrrpd-dashboard.json');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

export interface Expr {
  /** Where it is: `alert VrrpdNoMaster`, `panel "CPU" A`, `variable job`, ... */
  where: string;
  expr: string;
}

type Json = Record<string, unknown>;

export function dashboard(): Json {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Json;
}

/** Panels, including those nested in collapsed rows. */
export function dashboardPanels(d: Json = dashboard()): Json[] {
  const out: Json[] = [];
  const walk = (ps: unknown) => {
    for (const p of (ps as Json[] | undefined) ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

/** `label_values(EXPR, label)` → EXPR; `label_values(label)` → null. */
function labelValuesSelector(q: string): string | null {
  const m = /^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$/.exec(q);
  return m ? (m[1] ?? null) : null;
}

/** Every PromQL expression of the dashboard: panel targets, annotations, query variables. */
export function dashboardExprs(d: Json = dashboard()): Expr[] {
  const out: Expr[] = [];
  for (const p of dashboardPanels(d)) {
    for (const t of (p.targets as Json[] | undefined) ?? []) {
      if (typeof t.expr === 'string') out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
    }
  }
  for (const a of ((d.annotations as Json | undefined)?.list as Json[] | undefined) ?? []) {
    // current Grafana reads `target`, older versions the top-level fields
    const exprs = new Set(
      [a.expr, (a.target as Json | undefined)?.expr].filter((e) => typeof e === 'string'),
    );
    for (const e of exprs) out.push({ where: `annotation "${a.name}"`, expr: e as string });
  }
  for (const v of ((d.templating as Json | undefined)?.list as Json[] | undefined) ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : String((v.query as Json).query ?? '');
    const sel = labelValuesSelector(q);
    if (sel) out.push({ where: `variable ${v.name}`, expr: sel });
  }
  return out;
}

export function ruleExprs(): Expr[] {
  return alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));
}

/**
 * Grafana's variables replaced by values PromQL accepts: interval variables by a
 * duration, the others (used only inside label matcher strings) by a regex.
 */
export function withoutGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$(?:\{__(?:rate_)?interval\}|__rate_interval|__interval|__range)\b/g, '1m')
    .replace(/\$\{?[a-zA-Z_]\w*(?::\w+)?\}?/g, '.*');
}

// Words that are PromQL syntax, not metric names, where they appear without a '('.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
  // aggregation operators may be followed by a by/without clause before their '('
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

/**
 * Metric names an expression selects. A small lexer, enough for the expressions we
 * write: strings, label matchers, ranges and grouping label lists are blanked out; what
 * is left and is an identifier not followed by '(' (a function) and not a keyword is a
 * metric name. promtool has already checked the expression parses.
 */
export function metricNames(expr: string): string[] {
  const s = withoutGrafanaVariables(expr)
    .replace(/#[^\n]*/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    const after = s.slice((m.index ?? 0) + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text exposition format, as our /metrics writes it (no escapes in label values). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[lm[1]!] = lm[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}
