// track_files and track_processes (keepalived vrrp_track_file / vrrp_track_process): the
// top-level trackers and the instances' references to them, checked after the instances
// are built (the instance builder knows nothing of them).
import type { BuildContext } from './build-context.js';
import type { PathError } from './errors.js';
import type { TrackerRef, TrackFile, TrackProcess, VrrpInstance } from './model.js';
import type { RawDuration } from './raw.js';
import { suggestionSuffix } from './suggest.js';

interface RawTrackFile {
  file: string;
  weight: number;
  reverse: boolean;
  init_file?: { value: number; overwrite: boolean };
}

interface RawTrackProcess {
  process: string;
  args?: string[];
  param_match?: 'exact' | 'initial' | 'partial';
  full_command: boolean;
  quorum: number;
  quorum_max?: number;
  weight: number;
  reverse: boolean;
  fork_delay: RawDuration;
  terminate_delay: RawDuration;
}

type RawRef = string | { name: string; weight?: number; reverse?: boolean };

export interface BuiltTrackers {
  trackFiles: Record<string, TrackFile>;
  trackProcesses: Record<string, TrackProcess>;
  instances: VrrpInstance[];
  /** global.process_events_netns */
  processEventsNetns?: string;
}

function entries<T>(data: Record<string, unknown>, key: string, bad: Set<string>): [string, T][] {
  const v = data[key];
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, T>).filter(([n]) => !bad.has(`${key}/${n}`));
}

/** comm is at most 15 bytes (TASK_COMM_LEN 16 with its NUL). */
const COMM_MAX = 15;

export function buildTrackers(
  ctx: BuildContext,
  data: Record<string, unknown>,
  schemaErrors: PathError[],
  instances: VrrpInstance[],
): BuiltTrackers {
  const bad = new Set<string>();
  for (const e of schemaErrors) {
    const [top, second, third, fourth] = e.path;
    if (top === 'track_files' || top === 'track_processes') bad.add(`${top}/${String(second)}`);
    if (top === 'vrrp_instances' && (third === 'track_files' || third === 'track_processes'))
      bad.add(`${String(second)}/${third}/${String(fourth)}`);
  }
  const trackFiles: Record<string, TrackFile> = {};
  for (const [name, f] of entries<RawTrackFile>(data, 'track_files', bad)) {
    trackFiles[name] = {
      name,
      path: f.file,
      weight: f.weight,
      reverse: f.reverse,
      ...(f.init_file ? { init: { value: f.init_file.value, overwrite: f.init_file.overwrite } } : {}),
    };
  }
  const trackProcesses: Record<string, TrackProcess> = {};
  for (const [name, t] of entries<RawTrackProcess>(data, 'track_processes', bad)) {
    const p = ['track_processes', name];
    const args = t.args ?? [];
    const paramMatch = t.param_match ?? (t.args !== undefined ? 'exact' : 'none');
    const fullCommand = t.full_command || paramMatch !== 'none';
    const quorumMax = t.quorum_max ?? Number.POSITIVE_INFINITY;
    // keepalived: quorum_max 0 (quorum left at 1) is up only while no matching process runs
    const quorum = t.quorum_max === 0 && t.quorum <= 1 ? 0 : t.quorum;
    if (t.quorum_max !== undefined && t.quorum_max < quorum)
      ctx.error(
        [...p, 'quorum_max'],
        'CONFIG_OUT_OF_RANGE',
        `quorum_max ${t.quorum_max} is below quorum ${t.quorum}`,
      );
    if (!fullCommand && (t.process.includes('/') || Buffer.byteLength(t.process) > COMM_MAX))
      ctx.error(
        [...p, 'process'],
        'CONFIG_BAD_VALUE',
        `'${t.process}' cannot be a process name (comm: at most ${COMM_MAX} bytes, no '/'): set full_command to match argv[0]`,
      );
    trackProcesses[name] = {
      name,
      process: t.process,
      paramMatch,
      args: [...args],
      fullCommand,
      quorum,
      quorumMax,
      weight: t.weight,
      reverse: t.reverse,
      forkDelayMs: ctx.ms([...p, 'fork_delay'], t.fork_delay),
      terminateDelayMs: ctx.ms([...p, 'terminate_delay'], t.terminate_delay),
    };
  }
  const rawInstances = Array.isArray(data.vrrp_instances) ? (data.vrrp_instances as unknown[]) : [];
  const refs = (
    i: number,
    raw: Record<string, unknown>,
    key: 'track_files' | 'track_processes',
    known: string[],
  ): TrackerRef[] => {
    const list = Array.isArray(raw[key]) ? (raw[key] as RawRef[]) : [];
    const out: TrackerRef[] = [];
    list.forEach((r, j) => {
      if (bad.has(`${i}/${key}/${j}`)) return;
      const ref = typeof r === 'string' ? { name: r } : r;
      const path = ['vrrp_instances', i, key, j, ...(typeof r === 'string' ? [] : ['name'])];
      const what = key === 'track_files' ? 'track_file' : 'track_process';
      if (!known.includes(ref.name))
        ctx.error(
          path,
          'CONFIG_UNKNOWN_REFERENCE',
          `unknown ${what} '${ref.name}'${known.length ? suggestionSuffix(ref.name, known) : ` (${key} is empty)`}`,
        );
      else if (out.some((x) => x.name === ref.name))
        ctx.error(path, 'CONFIG_DUPLICATE', `${what} ${ref.name} is tracked twice`);
      else
        out.push({
          name: ref.name,
          ...(ref.weight !== undefined ? { weight: ref.weight } : {}),
          ...(ref.reverse !== undefined ? { reverse: ref.reverse } : {}),
        });
    });
    return out;
  };
  const knownFiles = Object.keys(
    data.track_files && typeof data.track_files === 'object' ? data.track_files : {},
  );
  const knownProcs = Object.keys(
    data.track_processes && typeof data.track_processes === 'object' ? data.track_processes : {},
  );
  const out = instances.map((inst) => {
    const i = rawInstances.findIndex(
      (r) => !!r && typeof r === 'object' && (r as { name?: unknown }).name === inst.name,
    );
    if (i < 0) return inst;
    const raw = rawInstances[i] as Record<string, unknown>;
    const files = refs(i, raw, 'track_files', knownFiles);
    const procs = refs(i, raw, 'track_processes', knownProcs);
    if (files.length === 0 && procs.length === 0) return inst;
    return {
      ...inst,
      ...(files.length ? { trackFiles: files } : {}),
      ...(procs.length ? { trackProcesses: procs } : {}),
    };
  });
  const g = data.global as Record<string, unknown> | undefined;
  const netns = g && typeof g.process_events_netns === 'string' ? g.process_events_netns : undefined;
  return {
    trackFiles,
    trackProcesses,
    instances: out,
    ...(netns !== undefined && Object.keys(trackProcesses).length ? { processEventsNetns: netns } : {}),
  };
}
