// Types of the pure VRRP state machine (src/vrrp/fsm.ts) and the validation of its config.
// Kept apart so the runtime, the config layer and tests can import them without the logic.
import type { ErrorCode } from '../errors.js';

/** An error with a stable `code` an operator (or a test) can match on. */
export class VrrpFsmError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'VrrpFsmError';
    this.code = code;
  }
}

/**
 * 'init' is RFC Initialize, 'master' is RFC 5798 Master (RFC 9568 calls it Active),
 * 'fault' is not in the RFC: it is keepalived's FAULT (interface down, tracked failure),
 * where the instance neither sends nor listens and holds no VIPs.
 */
export type VrrpState = 'init' | 'backup' | 'master' | 'fault';

export interface FsmConfig {
  version: 2 | 3;
  vrid: number;
  /** Configured priority, 1..255 (255 = IPvX address owner, RFC 5798 §5.2.4). */
  priority: number;
  /** Our Advertisement_Interval in centiseconds; v2 carries whole seconds, so a multiple of 100. */
  advertIntervalCs: number;
  /** RFC 5798 §6.1 Preempt_Mode. An owner (255) always preempts, whatever this says. */
  preempt: boolean;
  /** keepalived's preempt_delay; see the rule at the top of fsm.ts. 0 = preempt at once. */
  preemptDelayMs: number;
  /**
   * RFC 5798 §6.1 Accept_Mode. Not a state decision: the FSM only carries it. The runtime
   * uses it while master to decide whether the node itself answers packets addressed to
   * the VIPs (owner or acceptMode: yes; otherwise it must not, RFC 5798 §6.4.3).
   */
  acceptMode: boolean;
  /**
   * Our primary address on the interface (IPv4 primary, or IPv6 link-local), 4 or 16 bytes
   * in network order: the §6.4.3 tie-break compares it with a sender's as bytes.
   */
  primaryAddress: Uint8Array;
  /**
   * keepalived higher_prio_send_advert: a master that hears a higher-priority advert (or an
   * equal one from a higher address) sends one advert of its own before it becomes backup,
   * so that the other master (with garp_lower_prio_repeat) re-announces. Absent: false.
   */
  higherPrioSendAdvert?: boolean;
  /**
   * keepalived lower_prio_no_advert: a master that hears a lower-priority advert does not
   * answer with an advert at once (RFC 5798 before RFC 9568); its Adver_Timer runs on.
   * Absent: false (an immediate advert, RFC 9568 §6.4.3 and keepalived's default).
   */
  lowerPrioNoAdvert?: boolean;
  /**
   * keepalived down_timer_adverts: Master_Down_Interval is this many Master_Adver_Intervals
   * plus Skew_Time instead of 3 (1..100). Absent: 3 (the RFCs).
   */
  downTimerAdverts?: number;
}

export interface FsmState {
  state: VrrpState;
  cfg: FsmConfig;
  /** Configured priority adjusted by tracking, clamped 1..254; an owner (255) stays 255. */
  effectivePriority: number;
  /** RFC Master_Adver_Interval (centiseconds): ours until a v3 backup learns the master's. */
  masterAdverIntervalCs: number;
  /** Monotonic ms deadlines; null = not armed. */
  masterDownAt: number | null;
  advertAt: number | null;
  preemptAt: number | null;
  /** Last known master (ourselves when master), address bytes; masterPriority 0 = it announced it is leaving. */
  masterAddress: Uint8Array | null;
  masterPriority: number | null;
  /** Monotonic ms when the current state was entered. */
  since: number;
  /**
   * Active fault reasons. Non-empty ⇒ state 'fault', except in 'init': reasons reported
   * before startup (or still true at shutdown) are kept so that startup enters FAULT.
   * State 'fault' ⇒ non-empty.
   */
  faultReasons: string[];
  /** ADDED: the reason of the last state change (same text as the state-change action), for status. */
  lastReason: string;
}

export type FsmEvent =
  /** Leave Initialize (RFC 5798 §6.4.1). Ignored in any other state. */
  | { type: 'startup' }
  /** RFC 5798 §6.4.2/§6.4.3 Shutdown: a master sends priority 0; every state goes to init. */
  | { type: 'shutdown' }
  /**
   * An advert that already passed every codec/policy check (RFC 5798 §7.1) for this VRID.
   * maxAdvertIntervalCs: v3 field as is; v2 adverts give seconds × 100. srcAddress: IP source
   * (the sender's primary address) as bytes, same family as cfg.primaryAddress.
   */
  | { type: 'advert'; priority: number; maxAdvertIntervalCs: number; srcAddress: Uint8Array }
  /** The runtime calls this at/after nextDeadline(state); the FSM decides what expired given `now`. */
  | {
      type: 'timer';
      /**
       * A master's advert due a little after `now` goes now, and its cadence moves to now
       * (the engine sends the adverts of many instances in one wake-up; never a takeover).
       */
      early?: boolean;
    }
  /** Tracking changed the effective priority (absolute value; the FSM clamps it). */
  | { type: 'priority'; effectivePriority: number }
  /** Add a fault reason (interface down, tracked script with weight 0 failed, ...). */
  | { type: 'fault'; reason: string }
  /** Remove one; when none remain leave FAULT → backup (or master if owner 255). */
  | { type: 'fault-clear'; reason: string }
  /** Sync groups: follow another instance of the group (keepalived semantics, see fsm.ts). */
  | { type: 'force'; to: 'master' | 'backup' | 'fault' }
  /**
   * Sync groups: this backup's takeover is due but another member of its group does not
   * want master (keepalived goes to master only when every member wants to): stay backup,
   * Master_Down_Timer re-armed.
   */
  | { type: 'hold-master' };

export type FsmAction =
  /** priority 0 when leaving master (shutdown, fault, forced backup). */
  | { type: 'send-advert'; priority: number }
  | { type: 'add-vips' }
  | { type: 'remove-vips' }
  /** Start a gratuitous ARP / unsolicited NA batch for all VIPs (RFC 5798 §6.4.1, §8.1.2, §8.2.2). */
  | { type: 'announce' }
  /**
   * A master heard a lower-priority advert (another master after a split): announce the VIPs
   * again with keepalived's garp_lower_prio_repeat / garp_lower_prio_delay (the runtime's).
   */
  | { type: 'announce-lower-prio' }
  | { type: 'state-change'; from: VrrpState; to: VrrpState; reason: string };

export interface StepResult {
  state: FsmState;
  actions: FsmAction[];
}

/** Checks a config; throws VrrpFsmError with a stable code on the first problem. */
export function validateFsmConfig(cfg: FsmConfig): void {
  const where = `VRRP instance vrid ${cfg.vrid}`;
  if (cfg.version !== 2 && cfg.version !== 3) {
    throw new VrrpFsmError(
      'VRRP_BAD_VERSION',
      `${where}: version must be 2 or 3, got ${String(cfg.version)}`,
    );
  }
  if (!Number.isInteger(cfg.vrid) || cfg.vrid < 1 || cfg.vrid > 255) {
    throw new VrrpFsmError('VRRP_BAD_VRID', `VRRP instance: vrid must be an integer 1..255, got ${cfg.vrid}`);
  }
  if (!Number.isInteger(cfg.priority) || cfg.priority < 1 || cfg.priority > 255) {
    throw new VrrpFsmError(
      'VRRP_BAD_PRIORITY',
      `${where}: priority must be an integer 1..255 (255 only on the address owner), got ${cfg.priority}`,
    );
  }
  const iv = cfg.advertIntervalCs;
  if (!Number.isInteger(iv) || iv < 1 || iv > 4095) {
    throw new VrrpFsmError(
      'VRRP_BAD_INTERVAL',
      `${where}: advertisement interval must be 1..4095 centiseconds (10 ms..40.95 s), got ${iv}`,
    );
  }
  // RFC 3768 §5.3.7: the v2 field is whole seconds.
  if (cfg.version === 2 && iv % 100 !== 0) {
    throw new VrrpFsmError(
      'VRRP_BAD_INTERVAL',
      `${where}: VRRPv2 advertises whole seconds; advertisement interval ${iv / 100} s is not a whole number`,
    );
  }
  if (!Number.isFinite(cfg.preemptDelayMs) || cfg.preemptDelayMs < 0) {
    throw new VrrpFsmError(
      'VRRP_BAD_PREEMPT_DELAY',
      `${where}: preempt delay must be >= 0 ms, got ${cfg.preemptDelayMs}`,
    );
  }
  const dta = cfg.downTimerAdverts;
  if (dta !== undefined && (!Number.isInteger(dta) || dta < 1 || dta > 100)) {
    throw new VrrpFsmError(
      'VRRP_BAD_DOWN_TIMER_ADVERTS',
      `${where}: down_timer_adverts must be an integer 1..100, got ${dta}`,
    );
  }
  const len = cfg.primaryAddress?.length;
  if (!(cfg.primaryAddress instanceof Uint8Array) || (len !== 4 && len !== 16)) {
    throw new VrrpFsmError(
      'VRRP_BAD_PRIMARY_ADDRESS',
      `${where}: primary address must be 4 (IPv4) or 16 (IPv6) bytes, got ${len ?? typeof cfg.primaryAddress}`,
    );
  }
}
