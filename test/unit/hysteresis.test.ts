import { describe, expect, it } from 'vitest';
import {
  type HealthState,
  type HysteresisConfig,
  initialHealth,
  type Observation,
  stepHealth,
  type Transition,
} from '../../src/check/hysteresis.js';

const ok: Observation = { ok: true };
const bad: Observation = { ok: false, reason: 'connect ECONNREFUSED' };

/** Feeds a string of outcomes ('+' ok, '-' fail) and records states, transitions and retries. */
function run(cfg: HysteresisConfig, seq: string) {
  let h: HealthState = initialHealth(cfg);
  const states: string[] = [];
  const transitions: Transition[] = [];
  let retries = '';
  for (const c of seq) {
    const out = stepHealth(cfg, h, c === '+' ? ok : bad);
    if (out.transition) {
      expect(out.transition.from).toBe(h.state);
      expect(out.transition.to).toBe(out.health.state);
      transitions.push(out.transition);
    } else {
      expect(out.health.state).toBe(h.state);
    }
    h = out.health;
    states.push(h.state[0]!);
    retries += out.retry ? 'r' : '.';
  }
  return { states: states.join(''), transitions, retries, last: h };
}

const base = { rise: 1, fall: 1, retry: 0, alpha: false };

describe('hysteresis: rise, fall, retry, alpha (CONFIG.md check_defaults)', () => {
  // [name, config, outcomes ('+' ok, '-' failure), states after each: '?' unknown, 'U' up, 'D' down]
  const table: Array<[string, Partial<HysteresisConfig>, string, string]> = [
    ['non-alpha: first ok decides up', {}, '+', 'U'],
    ['non-alpha: first failure decides down', {}, '-', 'D'],
    ['alpha: starts down, one ok with rise 1 → up', { alpha: true }, '+', 'U'],
    ['alpha: rise 3 needs three consecutive oks', { alpha: true, rise: 3 }, '++-+++', 'DDDDDU'],
    ['fall 2: one failure keeps up, two bring down', { fall: 2 }, '+-+--', 'UUUUD'],
    ['fall 3 with interleaved ok resets the count', { fall: 3 }, '+--+---', 'UUUUUUD'],
    ['rise 2 after down', { rise: 2 }, '-++', 'DDU'],
    ['non-alpha unknown with rise 3: first ok still decides', { rise: 3 }, '+', 'U'],
    ['retry 2: failures re-probed before counting', { retry: 2 }, '+---', 'UUUD'],
    ['retry 1: a success during retry resets', { retry: 1 }, '+-+-+', 'UUUUU'],
    ['retry not spent on a down target', { retry: 2, alpha: true }, '--', 'DD'],
    ['retry 1 + fall 2: two counted failures need four probes', { retry: 1, fall: 2 }, '+----', 'UUUUD'],
  ];
  const letter = (s: string) => (s === 'up' ? 'U' : s === 'down' ? 'D' : '?');

  for (const [name, cfg, seq, want] of table) {
    it(name, () => {
      const c = { ...base, ...cfg };
      let h = initialHealth(c);
      let got = '';
      for (const ch of seq) {
        h = stepHealth(c, h, ch === '+' ? ok : bad).health;
        got += letter(h.state);
      }
      expect(got).toBe(want);
    });
  }

  it('initial state: alpha → down, otherwise unknown', () => {
    expect(initialHealth({ ...base, alpha: true }).state).toBe('down');
    expect(initialHealth(base).state).toBe('unknown');
  });

  it('emits each transition exactly once per change', () => {
    const r = run({ ...base, rise: 2, fall: 2 }, '+--------++++++--+');
    expect(r.transitions.map((t) => `${t.from}>${t.to}`)).toEqual([
      'unknown>up',
      'up>down',
      'down>up',
      'up>down',
    ]);
  });

  it('retry flags ask for re-probes and the transition reason mentions them', () => {
    const r = run({ ...base, retry: 2 }, '+---');
    expect(r.retries).toBe('.rr.');
    const down = r.transitions.at(-1)!;
    expect(down.to).toBe('down');
    expect(down.reason).toContain('after 2 retries');
    expect(down.reason).toContain('ECONNREFUSED');
  });

  it('reasons read well', () => {
    const r = run({ ...base, alpha: true, rise: 2, fall: 3 }, '++---');
    expect(r.transitions.map((t) => t.reason)).toEqual([
      '2 consecutive successes',
      '3 consecutive failures: connect ECONNREFUSED',
    ]);
    expect(run(base, '-').transitions[0]!.reason).toBe('first check failed: connect ECONNREFUSED');
  });

  it('counts track consecutive outcomes', () => {
    const r = run({ ...base, fall: 5 }, '+++--');
    expect(r.last).toMatchObject({ state: 'up', consecutiveOk: 0, consecutiveFail: 2 });
  });

  it('nonsense numbers are clamped (rise 0 behaves as 1)', () => {
    const r = run({ rise: 0, fall: -1, retry: -3, alpha: true }, '+-');
    expect(r.states).toBe('ud');
  });
});
