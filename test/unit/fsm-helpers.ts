// Shared fixtures for the FSM tests: a config factory and a fake clock that drives step().
import { ipBytes } from '../../src/net/addr.js';
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  nextDeadline,
  step,
} from '../../src/vrrp/fsm.js';

/** Address bytes from text: the FSM keeps addresses as bytes (RFC 5798 §6.4.3 compares them). */
export const ip = (text: string): Uint8Array => Uint8Array.from(ipBytes(text));

export const ME = ip('192.0.2.10');
export const LOWER_ADDR = ip('192.0.2.5');
export const HIGHER_ADDR = ip('192.0.2.20');

export function cfg(over: Partial<FsmConfig> = {}): FsmConfig {
  return {
    version: 3,
    vrid: 51,
    priority: 100,
    advertIntervalCs: 100,
    preempt: true,
    preemptDelayMs: 0,
    acceptMode: false,
    primaryAddress: ME,
    ...over,
  };
}

export function advert(priority: number, srcAddress = HIGHER_ADDR, maxAdvertIntervalCs = 100): FsmEvent {
  return { type: 'advert', priority, maxAdvertIntervalCs, srcAddress };
}

/** A router under test with a fake monotonic clock; records every action. */
export class Sim {
  s: FsmState;
  now: number;
  log: FsmAction[] = [];
  last: FsmAction[] = [];

  constructor(c: FsmConfig, now = 1000) {
    this.now = now;
    this.s = initialState(c, now);
  }

  send(ev: FsmEvent): FsmAction[] {
    const r = step(this.s, ev, this.now);
    this.s = r.state;
    this.last = r.actions;
    this.log.push(...r.actions);
    return r.actions;
  }

  /** Moves the clock to `t`, delivering a timer event at every deadline on the way (as the runtime would). */
  runUntil(t: number): FsmAction[] {
    const out: FsmAction[] = [];
    for (;;) {
      const d = nextDeadline(this.s);
      if (d === null || d > t) break;
      this.now = Math.max(this.now, d);
      out.push(...this.send({ type: 'timer' }));
    }
    this.now = Math.max(this.now, t);
    this.last = out;
    return out;
  }

  advance(ms: number): FsmAction[] {
    return this.runUntil(this.now + ms);
  }

  started(): this {
    this.send({ type: 'startup' });
    return this;
  }
}

export function types(actions: FsmAction[]): string[] {
  return actions.map((a) => {
    if (a.type === 'send-advert') return `send-advert(${a.priority})`;
    if (a.type === 'state-change') return `${a.from}->${a.to}:${a.reason}`;
    return a.type;
  });
}
