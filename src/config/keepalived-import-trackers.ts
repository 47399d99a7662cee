// keepalived's vrrp_track_file / track_file and vrrp_track_process blocks, and the
// track_file / track_process blocks of instances and sync groups → vrrpd's track_files and
// track_processes. The importer's note helpers are handed in (no import cycle).
import { formatDurationMs } from './duration.js';
import type { KaStatement } from './keepalived-conf.js';

type Obj = Record<string, unknown>;

export interface TrackerNotes<N> {
  skipped(s: KaStatement, why?: string): N;
  noted(s: KaStatement, text: string): N;
  unhandled(s: KaStatement, context: string): N;
}

const int = (w: string | undefined): number | string | undefined => {
  const n = Number(w);
  return w === undefined || w === '' || !Number.isInteger(n) ? w : n;
};
const sec = (w: string | undefined): string | undefined => {
  const n = Number(w);
  return w === undefined || w === '' || !Number.isFinite(n) || n < 0
    ? w
    : formatDurationMs(Math.round(n * 1000));
};

/** vrrp_track_file / track_file NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] } */
export function convertTrackFile<N>(s: KaStatement, h: TrackerNotes<N>): { value: Obj; notes: N[] } {
  const v: Obj = {};
  const notes: N[] = [];
  for (const x of s.block ?? []) {
    const [k, a, b] = x.words;
    if (k === 'file') v.file = a;
    else if (k === 'weight') {
      v.weight = int(a);
      if (b === 'reverse') v.reverse = true;
      else if (b !== undefined) notes.push(h.skipped(x, `'${b}' is not reverse: keepalived ignores it too`));
    } else if (k === 'init_file') {
      const init: Obj = {};
      for (const w of x.words.slice(1)) {
        if (w === 'overwrite') init.overwrite = true;
        else if (/^-?[0-9]/.test(w)) init.value = int(w);
        else notes.push(h.skipped(x, `'${w}' is not an init_file option: keepalived ignores it too`));
      }
      v.init_file = init;
    } else notes.push(h.unhandled(x, 'track_file'));
  }
  // keepalived's default weight is 1 (vrrpd's too), written out for the reader
  if (v.weight === undefined) v.weight = 1;
  return { value: v, notes };
}

/** vrrp_track_process NAME { process PATH [ARGS...]; param_match; quorum; ... } */
export function convertTrackProcess<N>(s: KaStatement, h: TrackerNotes<N>): { value: Obj; notes: N[] } {
  const v: Obj = {};
  const notes: N[] = [];
  for (const x of s.block ?? []) {
    const [k, a, b] = x.words;
    switch (k) {
      case 'process':
        if (v.process !== undefined) {
          notes.push(h.skipped(x, 'the process is already set: keepalived ignores this one too'));
          break;
        }
        v.process = a;
        if (x.words.length > 2) v.args = x.words.slice(2);
        break;
      case 'param_match':
        // keepalived: no word = exact; initial / partial
        if (a === undefined) v.param_match = 'exact';
        else if (a === 'initial' || a === 'partial') v.param_match = a;
        else notes.push(h.skipped(x, `'${a}' is not a param_match keepalived knows: it ignores it too`));
        break;
      case 'full_command':
        v.full_command = true;
        break;
      case 'quorum':
      case 'quorum_max':
        v[k] = int(a);
        break;
      case 'weight':
        v.weight = int(a);
        if (b === 'reverse') v.reverse = true;
        else if (b !== undefined)
          notes.push(h.skipped(x, `'${b}' is not reverse: keepalived ignores it too`));
        break;
      case 'delay':
        v.fork_delay = sec(a);
        v.terminate_delay = sec(a);
        notes.push(h.noted(x, "'delay' sets both fork_delay and terminate_delay, as keepalived"));
        break;
      case 'fork_delay':
      case 'terminate_delay':
        v[k] = sec(a);
        break;
      default:
        notes.push(h.unhandled(x, 'vrrp_track_process'));
    }
  }
  return { value: v, notes };
}

/**
 * The entries of an instance's (or sync group's) track_file / track_process block:
 * `NAME [weight N [reverse|noreverse]]`. `known`: the trackers' own weights by name.
 * A sync group member without sync_group_tracking_weight, or the address owner (priority
 * 255): `unweighted` says which, and as keepalived 2.4 does, a track_file of weight 1 (the
 * default) becomes weight 0, another weighted one is left out; track_process keeps its
 * weight (keepalived does not check those).
 */
export function trackerRefs<N>(
  st: KaStatement,
  kind: 'file' | 'process',
  known: Map<string, number>,
  unweighted: false | 'a sync group member' | 'the address owner',
  h: TrackerNotes<N>,
  notes: N[],
  /** false when the tracker is defined only after this block (keepalived looks names up as it reads) */
  definedBefore: (name: string) => boolean = () => true,
): (string | Obj)[] {
  const out: (string | Obj)[] = [];
  const what = kind === 'file' ? 'track_file' : 'vrrp_track_process';
  for (const x of st.block ?? []) {
    const [n, w, val, dir] = x.words;
    if (n === undefined) continue;
    if (!known.has(n)) {
      notes.push(h.skipped(x, `there is no ${what} ${n}: keepalived ignores this track too`));
      continue;
    }
    if (!definedBefore(n)) {
      notes.push(
        h.skipped(
          x,
          `${what} ${n} is defined after this block: keepalived looks it up as it reads, and ignores this track`,
        ),
      );
      continue;
    }
    if (out.some((t) => (typeof t === 'string' ? t : t.name) === n)) {
      notes.push(h.skipped(x, `${n} is tracked twice: keepalived ignores the second too`));
      continue;
    }
    if (w !== undefined && w !== 'weight') {
      notes.push(h.skipped(x, `'${w}' is not weight: keepalived ignores this track too`));
      continue;
    }
    const ref: Obj = { name: n };
    if (w !== undefined) ref.weight = int(val);
    if (dir === 'reverse') ref.reverse = true;
    else if (dir === 'noreverse') ref.reverse = false;
    else if (dir !== undefined) {
      notes.push(h.skipped(x, `'${dir}' is not reverse or noreverse: keepalived ignores this track too`));
      continue;
    }
    if (unweighted && kind === 'file') {
      const weight = ref.weight ?? known.get(n) ?? 1;
      if (weight === 1) {
        ref.weight = 0;
        notes.push(
          h.noted(
            x,
            `track_file ${n}: keepalived drops the default weight of ${unweighted} (${unweighted === 'the address owner' ? 'priority 255' : 'unless sync_group_tracking_weight'}): weight 0 written, a non-zero number puts the instance in FAULT`,
          ),
        );
      } else if (weight !== 0) {
        notes.push(
          h.skipped(
            x,
            `keepalived ignores track_file ${n} with weight ${String(weight)} on ${unweighted} (a config error${unweighted === 'the address owner' ? '' : ', unless sync_group_tracking_weight'}): left out`,
          ),
        );
        continue;
      }
    }
    out.push(Object.keys(ref).length === 1 ? n : ref);
  }
  return out;
}
