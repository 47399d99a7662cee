// Start-up marks, for measuring where a start's time goes (bench/ipvs-scale.ts breaks
// start -> first real server down with them): with VRRPD_START_MARKS=1 in the
// environment, each mark is one line on stderr,
//
//   {"startMark":NAME,"at":EPOCH_MS,"ms":MS_SINCE_PROCESS_START}
//
// and without it, nothing. Not a setting of the daemon: the environment of the process is
// the one switch. A shared leaf (used by the CLI, the assembly, the LVS controller and the
// VRRP thread), so it uses nothing of src/.
const on = process.env.VRRPD_START_MARKS === '1';

export function startMark(name: string, ms = performance.now()): void {
  if (!on) return;
  process.stderr.write(
    `${JSON.stringify({ startMark: name, at: performance.timeOrigin + ms, ms: Math.round(ms * 10) / 10 })}\n`,
  );
}
