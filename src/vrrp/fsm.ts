// The VRRP state machine as a pure function: step(state, event, now) → {state, actions}.
// RFC 5798 §6 as updated by RFC 9568 §6 (v3) and RFC 3768 §6 (v2), plus keepalived's FAULT
// state, preempt_delay and sync-group forcing. It never reads a clock: `now` and every
// deadline are monotonic milliseconds chosen by the runtime.
//
// Shape (after OpenBSD CARP): one entry function per state does all entry side effects and
// arms that state's timers; handlers only decide which state to enter.
//
// Rules that are ours, not the RFC's (tests in test/unit/fsm*.test.ts):
// - preempt_delay (keepalived meaning): a backup with preempt that sees a lower-priority
//   master arms preemptAt = now + preemptDelayMs on the first such advert. Until preemptAt
//   it keeps accepting that master's adverts (learning the interval and resetting the
//   Master_Down_Timer, as for a higher-priority master). When the timer event finds
//   now >= preemptAt it becomes master ('preempt'). preemptAt is cleared when the backup
//   no longer outranks the known master (a higher/equal advert, a priority-0 advert, a
//   priority drop) or when preempt is switched off by reload.
// - Tracking: the effective priority is clamped to 1..254 (never 0: priority 0 only means
//   "leaving master", RFC 5798 §5.2.4), and an owner (255) keeps 255 whatever the weights;
//   a failure that must take an instance out of service is a 'fault', not a priority.
//   A master whose priority drops does nothing special (RFC 5798 §6.4.3 has no such event):
//   its next advert carries the new priority, and a preempting backup discards it and takes
//   over when its Master_Down_Timer fires.
// - FAULT (keepalived): entered from backup/master on the first fault reason; a master sends
//   priority 0 and removes its VIPs first. No timers are armed in fault. Clearing the last
//   reason enters backup (Master_Down_Timer armed) or master at once for an owner.
// - Sync groups ('force'): 'fault' adds the reason 'sync-group'; 'master'/'backup' remove it
//   and move there unless other fault reasons remain. A master forced to backup sends
//   priority 0 so the peer takes over after Skew_Time instead of Master_Down_Interval.
// - Split brain healed: a master receiving a lower-priority advert sends an advert at once
//   (RFC 9568 §6.4.3; not with keepalived's lower_prio_no_advert, which keeps the RFC 5798
//   rule and lets the Adver_Timer run on) and asks the runtime to re-announce its VIPs
//   ('announce-lower-prio': keepalived's garp_lower_prio_repeat/_delay), so switches and
//   hosts that learned the other master relearn us (keepalived issue #2649).
// - keepalived higher_prio_send_advert: a master losing to a higher advert (or an equal one
//   from a higher address) sends one advert with its own priority before it becomes backup,
//   so that the winner (which then hears a lower advert) re-announces its VIPs.
// - keepalived down_timer_adverts: Master_Down_Interval = N × Master_Adver_Interval +
//   Skew_Time, N = cfg.downTimerAdverts (default 3, the RFCs).
// - Adverts reach step() only through the receive filter (accept.ts, RFC 5798 §7.1): our
//   own looped-back adverts, wrong TTL/VRID/version/auth/interval never get here.
// - v2 (RFC 3768) has no Master_Adver_Interval: the caller discards adverts whose interval
//   differs from ours (RFC 3768 §7.1), and the FSM always uses our own interval for v2.
// - Accept_Mode is carried in FsmConfig for the runtime; it does not change any transition.

import { compareIpBytes } from '../net/addr.js';
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type StepResult,
  type VrrpState,
  validateFsmConfig,
} from './fsm-types.js';
import { csToMs, masterDownIntervalMs, skewTimeMs } from './timers.js';

export * from './fsm-types.js';

const OWNER_PRIORITY = 255;
const SYNC_GROUP_REASON = 'sync-group';

function isOwner(cfg: FsmConfig): boolean {
  return cfg.priority === OWNER_PRIORITY;
}

/** Master_Down_Interval (ms) of this instance: keepalived's down_timer_adverts in place of 3. */
function downIntervalMs(s: FsmState, masterAdverIntervalCs: number): number {
  const { cfg } = s;
  return masterDownIntervalMs(
    cfg.version,
    s.effectivePriority,
    masterAdverIntervalCs,
    cfg.downTimerAdverts ?? 3,
  );
}

/** Effective priority rule: owner stays 255; everyone else 1..254 (RFC 5798 §5.2.4). */
export function clampEffectivePriority(cfg: FsmConfig, wanted: number): number {
  if (isOwner(cfg)) return OWNER_PRIORITY;
  if (!Number.isFinite(wanted)) return cfg.priority;
  return Math.min(254, Math.max(1, Math.round(wanted)));
}

export function initialState(cfg: FsmConfig, now: number): FsmState {
  validateFsmConfig(cfg);
  return {
    state: 'init',
    cfg,
    effectivePriority: cfg.priority,
    masterAdverIntervalCs: cfg.advertIntervalCs,
    masterDownAt: null,
    advertAt: null,
    preemptAt: null,
    masterAddress: null,
    masterPriority: null,
    since: now,
    faultReasons: [],
    lastReason: 'created',
  };
}

/** Earliest armed deadline (monotonic ms), or null when nothing is armed. */
export function nextDeadline(s: FsmState): number | null {
  // no array per call: the engine reads this after every advert sent or heard
  let best = s.advertAt;
  const m = s.masterDownAt;
  if (m !== null && (best === null || m < best)) best = m;
  const p = s.preemptAt;
  if (p !== null && (best === null || p < best)) best = p;
  return best;
}

// ---- state entry (all side effects of entering a state live here) ----

function changed(s: FsmState, to: VrrpState, reason: string, now: number, actions: FsmAction[]): FsmState {
  actions.push({ type: 'state-change', from: s.state, to, reason });
  return { ...s, state: to, since: now, lastReason: reason };
}

/** Leaving master: tell the backups at once (priority 0, RFC 5798 §6.4.3) and drop the VIPs. */
function leaveMaster(s: FsmState, sendPriorityZero: boolean, actions: FsmAction[]): void {
  if (s.state !== 'master') return;
  if (sendPriorityZero) actions.push({ type: 'send-advert', priority: 0 });
  actions.push({ type: 'remove-vips' });
}

/** RFC 5798 §6.4.1 / §6.4.2 "transition to Master": advert, VIPs, GARP/NA, Adver_Timer. */
function enterMaster(s: FsmState, reason: string, now: number, actions: FsmAction[]): FsmState {
  const next = changed(s, 'master', reason, now, actions);
  actions.push({ type: 'send-advert', priority: s.effectivePriority });
  actions.push({ type: 'add-vips' });
  actions.push({ type: 'announce' });
  return {
    ...next,
    masterAdverIntervalCs: s.cfg.advertIntervalCs,
    advertAt: now + csToMs(s.cfg.advertIntervalCs),
    masterDownAt: null,
    preemptAt: null,
    masterAddress: s.cfg.primaryAddress,
    masterPriority: s.effectivePriority,
  };
}

/** RFC 5798 §6.4.1 / §6.4.3 "transition to Backup" with Master_Down_Timer = Master_Down_Interval. */
function enterBackup(
  s: FsmState,
  reason: string,
  now: number,
  masterAdverIntervalCs: number,
  actions: FsmAction[],
  opts: { sendPriorityZero: boolean },
): FsmState {
  const from = s;
  const next = changed(s, 'backup', reason, now, actions);
  leaveMaster(from, opts.sendPriorityZero, actions);
  return {
    ...next,
    masterAdverIntervalCs,
    masterDownAt: now + downIntervalMs(s, masterAdverIntervalCs),
    advertAt: null,
    preemptAt: null,
    masterAddress: from.state === 'master' ? null : from.masterAddress,
    masterPriority: from.state === 'master' ? null : from.masterPriority,
  };
}

function enterQuiet(
  s: FsmState,
  to: 'init' | 'fault',
  reason: string,
  now: number,
  actions: FsmAction[],
): FsmState {
  const from = s;
  const next = changed(s, to, reason, now, actions);
  leaveMaster(from, true, actions);
  return {
    ...next,
    masterAdverIntervalCs: s.cfg.advertIntervalCs,
    masterDownAt: null,
    advertAt: null,
    preemptAt: null,
    masterAddress: null,
    masterPriority: null,
  };
}

/** Leave init or fault for the state an instance with no fault starts in (RFC 5798 §6.4.1). */
function enterRunning(s: FsmState, reason: string, now: number, actions: FsmAction[]): FsmState {
  if (isOwner(s.cfg)) return enterMaster(s, reason, now, actions);
  return enterBackup(s, reason, now, s.cfg.advertIntervalCs, actions, { sendPriorityZero: false });
}

// ---- event handlers ----

/** `reason` overrides the state-change reason (reload restarts say 'reconfigure'). */
function onStartup(s: FsmState, now: number, actions: FsmAction[], reason?: string): FsmState {
  if (s.state !== 'init') return s;
  const firstFault = s.faultReasons[0];
  if (firstFault !== undefined) return enterQuiet(s, 'fault', reason ?? `fault: ${firstFault}`, now, actions);
  return enterRunning(s, reason ?? (isOwner(s.cfg) ? 'owner-startup' : 'startup'), now, actions);
}

/**
 * RFC 5798 §6.4.3: true when `a` is a higher address than `b`, both as unsigned numbers in
 * network order; false across families (NaN), which never win.
 */
function addressGreater(a: Uint8Array, b: Uint8Array): boolean {
  return compareIpBytes(a, b) > 0;
}

/** v3 learns Master_Adver_Interval from the advert (RFC 5798 §6.4.2); v2 keeps ours (RFC 3768). */
function learnedInterval(s: FsmState, advertIntervalCs: number): number {
  return s.cfg.version === 3 ? advertIntervalCs : s.cfg.advertIntervalCs;
}

type AdvertEvent = Extract<FsmEvent, { type: 'advert' }>;

/**
 * A backup accepts the master's advert (RFC 5798 §6.4.2): Master_Adver_Interval learned,
 * Master_Down_Timer restarted. The one step every advert a backup hears takes, so the new
 * state is one literal of every field (one object shape; no spread, which V8 copies on a
 * slow path here, ~5 us per advert with 200 instances).
 */
function backupHeard(
  s: FsmState,
  ev: AdvertEvent,
  masterAdverIntervalCs: number,
  now: number,
  preemptAt: number | null,
): FsmState {
  return {
    state: s.state,
    cfg: s.cfg,
    effectivePriority: s.effectivePriority,
    masterAdverIntervalCs,
    masterDownAt: now + downIntervalMs(s, masterAdverIntervalCs),
    advertAt: s.advertAt,
    preemptAt,
    masterAddress: ev.srcAddress,
    masterPriority: ev.priority,
    since: s.since,
    faultReasons: s.faultReasons,
    lastReason: s.lastReason,
  };
}

function onBackupAdvert(s: FsmState, ev: AdvertEvent, now: number, actions: FsmAction[]): FsmState {
  const { cfg } = s;
  // RFC 5798 §6.4.2: the master is leaving; take over after Skew_Time unless another speaks first.
  if (ev.priority === 0) {
    return {
      ...s,
      masterDownAt: now + skewTimeMs(cfg.version, s.effectivePriority, s.masterAdverIntervalCs),
      masterPriority: 0,
      masterAddress: ev.srcAddress,
      preemptAt: null,
    };
  }
  const mai = learnedInterval(s, ev.maxAdvertIntervalCs);
  // RFC 5798 §6.1: the owner preempts whatever Preempt_Mode says.
  const mayPreempt = cfg.preempt || isOwner(cfg);
  // RFC 5798 §6.4.2: accept when not preempting or the advert is >= our priority. Equal
  // priority is accepted: the address tie-break decides only between two masters (§6.4.3).
  if (!mayPreempt || ev.priority >= s.effectivePriority) return backupHeard(s, ev, mai, now, null);
  // Lower-priority master and we preempt.
  if (cfg.preemptDelayMs > 0) {
    const preemptAt = s.preemptAt ?? now + cfg.preemptDelayMs;
    if (now < preemptAt) return backupHeard(s, ev, mai, now, preemptAt);
    return enterMaster(s, 'preempt', now, actions);
  }
  // RFC 5798 §6.4.2: discard; our Master_Down_Timer will fire and we take over.
  return { ...s, masterAddress: ev.srcAddress, masterPriority: ev.priority };
}

function onMasterAdvert(s: FsmState, ev: AdvertEvent, now: number, actions: FsmAction[]): FsmState {
  const { cfg } = s;
  // An advert sent now restarts the Adver_Timer; with lower_prio_no_advert keepalived
  // leaves the timer alone whatever it sent (its priority-0 answer included).
  const rearm = cfg.lowerPrioNoAdvert === true ? s.advertAt : now + csToMs(cfg.advertIntervalCs);
  // RFC 5798 §6.4.3: someone left the master role; assert ours at once.
  if (ev.priority === 0) {
    actions.push({ type: 'send-advert', priority: s.effectivePriority });
    return { ...s, advertAt: rearm };
  }
  const higher = ev.priority > s.effectivePriority;
  const tieLost = ev.priority === s.effectivePriority && addressGreater(ev.srcAddress, cfg.primaryAddress);
  if (higher || tieLost) {
    // keepalived higher_prio_send_advert: one advert of ours (lower than the winner's)
    // before we step down, so the winner re-announces (its garp_lower_prio_repeat).
    if (cfg.higherPrioSendAdvert === true)
      actions.push({ type: 'send-advert', priority: s.effectivePriority });
    // RFC 5798 §6.4.3: cancel Adver_Timer, learn the interval, arm Master_Down_Timer, → Backup.
    const next = enterBackup(
      s,
      higher ? 'higher-priority-advert' : 'equal-priority-higher-address',
      now,
      learnedInterval(s, ev.maxAdvertIntervalCs),
      actions,
      { sendPriorityZero: false },
    );
    return { ...next, masterAddress: ev.srcAddress, masterPriority: ev.priority };
  }
  // RFC 9568 §6.4.3: a losing advert is discarded and we advertise immediately (RFC 5798
  // and keepalived's lower_prio_no_advert: we do not); we also re-announce the VIPs so the
  // network relearns us after a split brain (keepalived #2649, garp_lower_prio_repeat).
  if (cfg.lowerPrioNoAdvert !== true) actions.push({ type: 'send-advert', priority: s.effectivePriority });
  actions.push({ type: 'announce-lower-prio' });
  return { ...s, advertAt: rearm };
}

function onAdvert(s: FsmState, ev: AdvertEvent, now: number, actions: FsmAction[]): FsmState {
  if (s.state !== 'backup' && s.state !== 'master') return s; // init/fault do not listen
  // The receive filter (accept.ts) holds the RFC 5798 §7.1 rules; these guards are no
  // receive rule, they only keep a caller bug from corrupting the timers.
  if (!Number.isInteger(ev.priority) || ev.priority < 0 || ev.priority > 255) return s;
  if (
    !Number.isFinite(ev.maxAdvertIntervalCs) ||
    ev.maxAdvertIntervalCs < 1 ||
    ev.maxAdvertIntervalCs > 4095
  ) {
    return s;
  }
  return s.state === 'backup' ? onBackupAdvert(s, ev, now, actions) : onMasterAdvert(s, ev, now, actions);
}

function onTimer(s: FsmState, now: number, actions: FsmAction[], early: boolean): FsmState {
  if (s.state === 'master') {
    if (s.advertAt === null) return s;
    if (early && now < s.advertAt) {
      // Sent a little ahead of its deadline together with other instances' adverts; from
      // now on it keeps their cadence (a gap shorter than the interval, once, is harmless:
      // a backup's Master_Down_Timer only restarts sooner).
      actions.push({ type: 'send-advert', priority: s.effectivePriority });
      return { ...s, advertAt: now + csToMs(s.cfg.advertIntervalCs) };
    }
    if (now < s.advertAt) return s;
    // RFC 5798 §6.4.3 Adver_Timer fired: send and re-arm. Keep the cadence of the previous
    // deadline (no drift from runtime latency) unless we are late by a whole interval.
    actions.push({ type: 'send-advert', priority: s.effectivePriority });
    const intervalMs = csToMs(s.cfg.advertIntervalCs);
    const cadence = s.advertAt + intervalMs;
    return { ...s, advertAt: cadence > now ? cadence : now + intervalMs };
  }
  if (s.state === 'backup') {
    // RFC 5798 §6.4.2: Master_Down_Timer fired → Master.
    if (s.masterDownAt !== null && now >= s.masterDownAt)
      return enterMaster(s, 'master-down-timer', now, actions);
    if (s.preemptAt !== null && now >= s.preemptAt) return enterMaster(s, 'preempt', now, actions);
  }
  return s;
}

function onPriority(s: FsmState, wanted: number): FsmState {
  const effectivePriority = clampEffectivePriority(s.cfg, wanted);
  if (effectivePriority === s.effectivePriority) return s;
  const next: FsmState = { ...s, effectivePriority };
  if (s.state === 'master') next.masterPriority = effectivePriority;
  // A pending preempt only stands while we still outrank the known master.
  if (next.preemptAt !== null && !(next.masterPriority !== null && next.masterPriority < effectivePriority)) {
    next.preemptAt = null;
  }
  return next;
}

function onFault(s: FsmState, reason: string, now: number, actions: FsmAction[]): FsmState {
  const faultReasons = s.faultReasons.includes(reason) ? s.faultReasons : [...s.faultReasons, reason];
  const withReason = { ...s, faultReasons };
  if (s.state === 'init' || s.state === 'fault') return withReason;
  return enterQuiet(withReason, 'fault', `fault: ${reason}`, now, actions);
}

function onFaultClear(
  s: FsmState,
  reason: string,
  now: number,
  actions: FsmAction[],
  target?: 'master' | 'backup',
): FsmState {
  if (!s.faultReasons.includes(reason)) return s;
  const next = { ...s, faultReasons: s.faultReasons.filter((r) => r !== reason) };
  if (next.state !== 'fault' || next.faultReasons.length > 0) return next;
  const why = target ? SYNC_GROUP_REASON : 'fault-cleared';
  if (target === 'master') return enterMaster(next, why, now, actions);
  if (target === 'backup') {
    return enterBackup(next, why, now, next.cfg.advertIntervalCs, actions, { sendPriorityZero: false });
  }
  return enterRunning(next, why, now, actions);
}

function onForce(
  s: FsmState,
  to: 'master' | 'backup' | 'fault',
  now: number,
  actions: FsmAction[],
): FsmState {
  if (to === 'fault') return onFault(s, SYNC_GROUP_REASON, now, actions);
  if (s.state === 'init') {
    return { ...s, faultReasons: s.faultReasons.filter((r) => r !== SYNC_GROUP_REASON) };
  }
  if (s.state === 'fault') return onFaultClear(s, SYNC_GROUP_REASON, now, actions, to);
  if (s.state === to) return s;
  if (to === 'master') return enterMaster(s, SYNC_GROUP_REASON, now, actions);
  return enterBackup(s, SYNC_GROUP_REASON, now, s.cfg.advertIntervalCs, actions, { sendPriorityZero: true });
}

/** A due takeover waits for the rest of its sync group: the timers start again. */
function onHoldMaster(s: FsmState, now: number): FsmState {
  if (s.state !== 'backup') return s;
  const again = now + downIntervalMs(s, s.masterAdverIntervalCs);
  const due = (d: number | null) => d !== null && now >= d;
  return {
    ...s,
    masterDownAt: due(s.masterDownAt) || s.masterDownAt === null ? again : s.masterDownAt,
    preemptAt: due(s.preemptAt) ? again : s.preemptAt,
  };
}

/** The state machine. Pure: same inputs, same outputs; `s` is never mutated. */
export function step(s: FsmState, ev: FsmEvent, now: number): StepResult {
  const actions: FsmAction[] = [];
  let state: FsmState;
  switch (ev.type) {
    case 'startup':
      state = onStartup(s, now, actions);
      break;
    case 'shutdown':
      // RFC 5798 §6.4.2 / §6.4.3: cancel timers; a master sends priority 0 first.
      state = s.state === 'init' ? s : enterQuiet(s, 'init', 'shutdown', now, actions);
      break;
    case 'advert':
      state = onAdvert(s, ev, now, actions);
      break;
    case 'timer':
      state = onTimer(s, now, actions, ev.early === true);
      break;
    case 'priority':
      state = onPriority(s, ev.effectivePriority);
      break;
    case 'fault':
      state = onFault(s, ev.reason, now, actions);
      break;
    case 'fault-clear':
      state = onFaultClear(s, ev.reason, now, actions);
      break;
    case 'force':
      state = onForce(s, ev.to, now, actions);
      break;
    case 'hold-master':
      state = onHoldMaster(s, now);
      break;
  }
  return { state, actions };
}

/**
 * Reload with a changed config, keeping state and timers where possible (no flap).
 * - vrid or version changed: it is another virtual router; shut this one down and start
 *   again (a master sends priority 0 and drops its VIPs), keeping the fault reasons.
 * - priority: the tracking offset (effective - configured) is carried over to the new
 *   configured priority; becoming the owner (255) takes master at once, as at startup.
 * - advert interval: a master re-arms sooner if the new interval is shorter; a backup
 *   that has not learned a master's interval (or runs v2) adopts it for the next timer.
 * - preempt switched off, or preempt delay changed: a pending preempt is cancelled.
 * - down_timer_adverts, lower_prio_no_advert, higher_prio_send_advert: from the next advert
 *   (a backup's Master_Down_Timer is re-armed with the new count when it next hears one).
 */
export function reconfigure(s: FsmState, cfg: FsmConfig, now: number): StepResult {
  validateFsmConfig(cfg);
  const old = s.cfg;
  if (cfg.vrid !== old.vrid || cfg.version !== old.version) {
    const actions: FsmAction[] = [];
    const wasRunning = s.state !== 'init';
    let next = s.state === 'init' ? s : enterQuiet(s, 'init', 'reconfigure', now, actions);
    next = { ...next, cfg, effectivePriority: cfg.priority, masterAdverIntervalCs: cfg.advertIntervalCs };
    if (wasRunning) next = onStartup(next, now, actions, 'reconfigure');
    return { state: next, actions };
  }

  const offset = isOwner(old) ? 0 : s.effectivePriority - old.priority;
  const effectivePriority = clampEffectivePriority(cfg, cfg.priority + offset);
  let next: FsmState = { ...s, cfg, effectivePriority };
  if (!cfg.preempt || cfg.preemptDelayMs !== old.preemptDelayMs) next.preemptAt = null;
  const actions: FsmAction[] = [];

  if (next.state === 'master') {
    next.masterPriority = effectivePriority;
    next.masterAddress = cfg.primaryAddress;
    next.masterAdverIntervalCs = cfg.advertIntervalCs;
    const sooner = now + csToMs(cfg.advertIntervalCs);
    if (next.advertAt === null || sooner < next.advertAt) next.advertAt = sooner;
  } else if (next.state === 'backup') {
    if (cfg.version === 2 || next.masterAddress === null) next.masterAdverIntervalCs = cfg.advertIntervalCs;
    if (isOwner(cfg) && !isOwner(old)) next = enterMaster(next, 'reconfigure', now, actions);
  } else {
    next.masterAdverIntervalCs = cfg.advertIntervalCs;
  }
  return { state: next, actions };
}
