// The failover/preemption scenario every peer test runs, whatever the two routers are:
//   both up → the higher priority holds the VIP (preempting if the lower came first);
//   fault 1 on the master → the backup takes over and keeps the VIP;
//   the master comes back → it preempts, the backup releases the VIP;
//   fault 2 (the other signal) → the backup takes over again.
// Bounds are generous (TESTING.md): Master_Down_Interval + 1.5 s for a silent master,
// Skew_Time + 1.5 s after a priority-0 advert; precise figures belong to bench/failover.
import type { Router, RouterSpec } from './router.js';
import { waitFor } from './router.js';

/** RFC 5798 §6.1 (v2: RFC 3768 §6.1) Master_Down_Interval of a backup, in ms. */
export function masterDownIntervalMs(backup: RouterSpec, masterAdvertMs = backup.advertMs): number {
  return 3 * masterAdvertMs + skewTimeMs(backup, masterAdvertMs);
}

/** RFC 5798 §6.1 Skew_Time in ms (v2: (256 - Priority) / 256 seconds). */
export function skewTimeMs(backup: RouterSpec, masterAdvertMs = backup.advertMs): number {
  const base = backup.version === 2 ? 1000 : masterAdvertMs;
  return ((256 - backup.priority) * base) / 256;
}

export interface ScenarioLog {
  step: string;
  ms: number;
}

/**
 * Waits until `master` holds the VIP and `backup` does not, and that stays so for a few
 * advert intervals (no flapping, no dual master).
 */
export async function expectSoleMaster(
  master: Router,
  backup: Router,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const ms = await waitFor(
    async () => (await master.holdsVip()) && !(await backup.holdsVip()),
    timeoutMs,
    () =>
      `${what}: ${master.kind}@${master.host} holding the VIP alone\n--- ${master.kind} ---\n${tail(master.logs())}\n--- ${backup.kind} ---\n${tail(backup.logs())}`,
  );
  const hold = Math.max(3 * master.spec.advertMs, 300);
  const until = Date.now() + hold;
  while (Date.now() < until) {
    const m = await master.holdsVip();
    const b = await backup.holdsVip();
    if (!m || b)
      throw new Error(
        `${what}: ${master.kind}@${master.host} lost the VIP alone (master=${m}, ${backup.kind} holds=${b})\n${tail(backup.logs())}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  return ms;
}

/** After a crash the dead router may keep its VIP (nobody removes it): only the survivor is checked. */
export async function expectTakeover(survivor: Router, timeoutMs: number, what: string): Promise<number> {
  const ms = await waitFor(
    () => survivor.holdsVip(),
    timeoutMs,
    () => `${what}: ${survivor.kind}@${survivor.host} taking the VIP\n${tail(survivor.logs())}`,
  );
  const until = Date.now() + Math.max(3 * survivor.spec.advertMs, 300);
  while (Date.now() < until) {
    if (!(await survivor.holdsVip())) throw new Error(`${what}: ${survivor.kind} dropped the VIP again`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return ms;
}

export interface ScenarioOptions {
  /** Order of the two faults on the master (default SIGKILL then SIGTERM). */
  faults?: Array<'SIGKILL' | 'SIGTERM'>;
  /** Called whenever the higher-priority router has settled as the sole master. */
  onSteady?: () => Promise<void>;
}

/** Runs the scenario; `hi` has the higher priority. Returns the measured steps. */
export async function failoverScenario(
  hi: Router,
  lo: Router,
  opts: ScenarioOptions = {},
): Promise<ScenarioLog[]> {
  const log: ScenarioLog[] = [];
  const faults = opts.faults ?? ['SIGKILL', 'SIGTERM'];
  const mdi = masterDownIntervalMs(lo.spec, hi.spec.advertMs);
  const mdiHi = masterDownIntervalMs(hi.spec, lo.spec.advertMs);
  const slack = 1500;

  // The lower priority first: it becomes master alone, then the higher one preempts
  // (RFC 5798 §6.4.2: a backup discards lower-priority adverts, its Master_Down_Timer fires).
  await lo.start();
  log.push({ step: `${lo.kind} alone → master`, ms: await expectTakeover(lo, mdi + 3000, 'startup') });
  await hi.start();
  log.push({
    step: `${hi.kind} starts → preempts`,
    ms: await expectSoleMaster(hi, lo, mdiHi + 3000, 'preemption at start'),
  });
  await opts.onSteady?.();

  for (const [i, fault] of faults.entries()) {
    await hi.stop(fault);
    const bound = fault === 'SIGTERM' ? skewTimeMs(lo.spec, hi.spec.advertMs) + slack : mdi + slack;
    log.push({
      step: `${fault} of ${hi.kind} → ${lo.kind} master`,
      ms: await expectTakeover(lo, bound, `after ${fault}`),
    });
    if (i < faults.length - 1) {
      await hi.start();
      log.push({
        step: `${hi.kind} back → preempts`,
        ms: await expectSoleMaster(hi, lo, mdiHi + 3000, `preemption after ${fault}`),
      });
      await opts.onSteady?.();
    }
  }
  return log;
}

function tail(s: string, lines = 40): string {
  return s.split('\n').slice(-lines).join('\n');
}
