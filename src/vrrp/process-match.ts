// Which tracked processes (keepalived vrrp_track_process) a process is, from what /proc
// says of it. Pure: the reading is the tracker's (track-processes.ts).
import type { TrackProcess } from '../config/model.js';

export interface ProcessInfo {
  /** /proc/PID/stat's comm (at most 15 bytes) */
  comm: string;
  /** /proc/PID/cmdline split at its NULs; empty for kernel threads and zombies */
  argv: readonly string[];
  zombie: boolean;
}

/** /proc/PID/stat: "PID (COMM) STATE ..." where COMM may itself hold ')' and blanks. */
export function parseStat(text: string): { comm: string; state: string } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  return { comm: text.slice(open + 1, close), state: text.slice(close + 2, close + 3) };
}

/** /proc/PID/cmdline: NUL-terminated arguments. */
export function splitCmdline(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/**
 * keepalived's rules: without full_command the comm name must equal `process`; with it
 * argv[0]. Then args, by param_match: exact (the same arguments, no more), partial (they
 * are the first arguments), initial (as partial, but the last one only a prefix).
 */
export function processMatches(t: TrackProcess, p: ProcessInfo): boolean {
  if (p.zombie) return false;
  if (!t.fullCommand) return p.comm === t.process;
  if (p.argv[0] !== t.process) return false;
  const params = p.argv.slice(1);
  const want = t.args;
  switch (t.paramMatch) {
    case 'none':
      return true;
    case 'exact':
      return params.length === want.length && want.every((a, i) => params[i] === a);
    case 'partial':
      return params.length >= want.length && want.every((a, i) => params[i] === a);
    case 'initial': {
      if (want.length === 0) return true;
      if (params.length < want.length) return false;
      const last = want.length - 1;
      return want.every((a, i) => (i === last ? params[i]!.startsWith(a) : params[i] === a));
    }
  }
}
