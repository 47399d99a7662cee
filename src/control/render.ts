// Snapshot → the table `vrrpd status` prints for a person. Pure: the clock and the
// colour decision come in as options, so tests render fixed snapshots to fixed text.
import {
  type CheckResult,
  endpointKey,
  type InstanceStatus,
  type Snapshot,
  type VirtualServerStatus,
  type VrrpStateName,
} from './snapshot.js';

export interface RenderOptions {
  /** ANSI colours; the CLI passes true only when stdout is a TTY and NO_COLOR is unset. */
  color: boolean;
  /** "Now", for the "ago" columns. */
  now: Date;
}

type Paint = (text: string, code: number) => string;

/** Whole seconds → "45s", "5m12s", "2h03m", "3d04h". */
export function formatDuration(totalS: number): string {
  const s = Math.max(0, Math.floor(totalS));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

function ago(iso: string | null | undefined, now: Date): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  return `${formatDuration((now.getTime() - t) / 1000)} ago`;
}

/** Lays out rows in columns separated by two spaces; colour applies after padding. */
function table(
  header: string[],
  rows: { cells: string[]; color?: (number | undefined)[] }[],
  paint: Paint,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? '').length)));
  const line = (cells: string[], colors?: (number | undefined)[]) =>
    cells
      .map((c, i) => {
        const last = i === cells.length - 1;
        const padded = last ? c : c.padEnd(widths[i] ?? 0);
        const code = colors?.[i];
        return code === undefined ? padded : paint(padded, code);
      })
      .join('  ')
      .trimEnd();
  return [paint(line(header), 1), ...rows.map((r) => line(r.cells, r.color))];
}

const STATE_COLOR: Record<VrrpStateName, number | undefined> = {
  master: 32, // green
  backup: undefined,
  fault: 31, // red
  init: 33, // yellow
};

function describeCheck(c: CheckResult | null, now: Date): string {
  if (c === null) return '-';
  const what = c.ok ? 'ok' : c.reason;
  return `${what} (${Math.round(c.latencyMs)} ms, ${ago(c.at, now)})`;
}

function dropsText(drops: Record<string, number> | undefined): string {
  const parts = Object.entries(drops ?? {})
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}=${n}`);
  return parts.join(' ');
}

function instancesTable(instances: InstanceStatus[], opts: RenderOptions, paint: Paint): string[] {
  if (instances.length === 0) return ['no VRRP instances'];
  const rows = instances.map((i) => {
    const master =
      i.state === 'master'
        ? 'this router'
        : i.masterAddress === null
          ? '-'
          : i.masterPriority === null
            ? i.masterAddress
            : `${i.masterAddress} (${i.masterPriority})`;
    const vips = i.vips
      .map((v) => `${v.address}/${v.prefixLength}${v.present ? '' : ' (absent)'}`)
      .join(', ');
    return {
      cells: [
        i.name,
        i.interface,
        String(i.vrid),
        `v${i.version}`,
        i.state.toUpperCase(),
        String(i.priority),
        String(i.effectivePriority),
        master,
        `${ago(i.since, opts.now)} (${i.lastTransitionReason})`,
        vips || '-',
      ],
      color: [undefined, undefined, undefined, undefined, STATE_COLOR[i.state]],
    };
  });
  return table(
    ['INSTANCE', 'IFACE', 'VRID', 'VER', 'STATE', 'PRIO', 'EFF', 'MASTER', 'SINCE', 'VIPS'],
    rows,
    paint,
  );
}

/** virtual_routes / virtual_rules: one line each, with whether the kernel has it. */
function routingLines(instances: InstanceStatus[], paint: Paint): string[] {
  const out: string[] = [];
  for (const i of instances) {
    const r = i.routing;
    if (!r) continue;
    const mark = (installed: boolean) =>
      installed ? 'installed' : i.state === 'master' ? paint('NOT INSTALLED', 31) : 'not installed';
    for (const x of r.routes)
      out.push(`${i.name} route: ${x.route}  ${mark(x.installed)}${x.noTrack ? ' (no_track)' : ''}`);
    for (const x of r.rules)
      out.push(`${i.name} rule: ${x.rule}  ${mark(x.installed)}${x.noTrack ? ' (no_track)' : ''}`);
    if (r.restored > 0 || r.errors > 0)
      out.push(`${i.name} routing: ${r.restored} restored, ${r.errors} errors`);
  }
  return out;
}

function virtualServerBlock(vs: VirtualServerStatus, opts: RenderOptions, paint: Paint): string[] {
  const up = vs.realServers.filter((r) => r.health === 'up').length;
  const quorum = `${up}/${vs.realServers.length} up, quorum ${vs.quorum} ${vs.quorumUp ? 'met' : 'LOST'}`;
  const flags = [
    vs.scheduler,
    vs.forwarding,
    vs.inIpvs ? null : 'NOT IN IPVS',
    vs.checksSuspended ? 'checks suspended (ha_suspend: address not local)' : null,
    vs.sorryActive && vs.sorryServer
      ? `sorry server ${endpointKey(vs.sorryServer.address, vs.sorryServer.port)}`
      : null,
  ]
    .filter((x): x is string => x !== null)
    .join(', ');
  const head = `${paint(vs.key, 1)}  ${flags}  ${vs.quorumUp ? quorum : paint(quorum, 31)}`;
  if (vs.realServers.length === 0) return [head, '  no real servers'];
  const rows = vs.realServers.map((r) => ({
    cells: [
      endpointKey(r.address, r.port),
      r.health.toUpperCase(),
      r.ipvsWeight === null || r.ipvsWeight === r.weight
        ? String(r.weight)
        : `${r.weight} (ipvs ${r.ipvsWeight})`,
      r.inIpvs ? 'yes' : 'no',
      r.checkType ?? 'none',
      describeCheck(r.lastCheck, opts.now),
    ],
    color: [undefined, r.health === 'up' ? 32 : r.health === 'down' ? 31 : 33],
  }));
  return [
    head,
    ...table(['REAL SERVER', 'HEALTH', 'WEIGHT', 'IPVS', 'CHECK', 'LAST RESULT'], rows, paint).map(
      (l) => `  ${l}`,
    ),
  ];
}

export function renderStatus(s: Snapshot, opts: RenderOptions): string {
  const paint: Paint = opts.color ? (t, code) => `\x1b[${code}m${t}\x1b[0m` : (t) => t;
  const d = s.daemon;
  const out: string[] = [];
  out.push(
    `vrrpd ${d.softwareVersion} on ${d.routerId}: pid ${d.pid}, up ${formatDuration(d.uptimeS)}, config ${d.configFile} (loaded ${ago(d.configLoadedAt, opts.now)})`,
  );
  if (d.lastReload && !d.lastReload.ok) {
    out.push(
      paint(
        `last reload REFUSED ${ago(d.lastReload.at, opts.now)} (${d.lastReload.errors.length} error(s)); the previous config is running`,
        31,
      ),
    );
  }
  out.push('');
  out.push(...instancesTable(s.instances, opts, paint));

  out.push(...routingLines(s.instances, paint));
  for (const g of s.syncGroups ?? []) {
    out.push(`sync group ${g.name}: ${g.state.toUpperCase()} (${g.instances.join(', ')})`);
  }
  const scripts = s.vrrpScripts ?? [];
  if (scripts.length > 0) {
    out.push(
      `scripts: ${scripts
        .map((sc) => {
          const text = `${sc.name} ${sc.state}${sc.state === 'failing' && sc.lastCheck ? ` (${sc.lastCheck.reason})` : ''}`;
          return sc.state === 'failing' ? paint(text, 31) : text;
        })
        .join(', ')}`,
    );
  }

  const files = s.trackFiles ?? [];
  if (files.length > 0) {
    out.push(
      `track files: ${files
        .map(
          (f) =>
            `${f.name} ${f.value === null ? 'not read' : `= ${f.value}`} (${f.file}, weight ${f.weight})`,
        )
        .join(', ')}`,
    );
  }
  const procs = s.trackProcesses ?? [];
  if (procs.length > 0) {
    out.push(
      `track processes: ${procs
        .map((p) => {
          const q = p.quorum === null ? 'not counted' : p.quorum ? 'quorum' : 'no quorum';
          const text = `${p.name} ${p.processes} running, ${q}${p.pending ? ' (delay running)' : ''}`;
          return p.quorum === false ? paint(text, 31) : text;
        })
        .join(', ')}`,
    );
  }
  const dropLines = s.instances
    .map((i) => [i.name, dropsText(i.counters?.drops)] as const)
    .filter(([, t]) => t !== '')
    .map(([n, t]) => `${n}: ${t}`);
  const global = dropsText(s.globalDrops);
  if (global !== '') dropLines.push(`not matched to an instance: ${global}`);
  out.push(dropLines.length === 0 ? 'drops: none' : `drops: ${dropLines.join('; ')}`);
  const af = s.acceptFilter;
  if (af && (af.drops.length > 0 || af.error !== null)) {
    const what = af.drops.map((d) => `${d.address} (${d.instance})`).join(', ');
    if (af.drops.length > 0) out.push(`accept off: nft table ${af.table} drops packets to ${what}`);
    if (af.error !== null) out.push(paint(`accept filter: ${af.error}`, 31));
  }

  if (s.virtualServers.length > 0) {
    out.push('');
    for (const vs of s.virtualServers) out.push(...virtualServerBlock(vs, opts, paint));
    if (s.ipvs && (!s.ipvs.available || s.ipvs.lastError)) {
      const why = s.ipvs.available ? `last reconciliation failed: ${s.ipvs.lastError}` : 'kernel has no IPVS';
      out.push(paint(`IPVS: ${why}`, 31));
    }
  }
  if (s.announce) {
    const a = s.announce;
    out.push('');
    out.push(`announced through table ${a.table} (proto ${a.protocol}, dev ${a.interface}):`);
    for (const x of a.addresses) {
      const since = x.since ? ` (${ago(x.since, opts.now)})` : '';
      const what = x.announced ? paint('announced', 32) : paint('withdrawn', 31);
      out.push(
        `  ${x.address}  ${what}${since}  ${x.reason}${x.error ? paint(`  error: ${x.error}`, 31) : ''}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
