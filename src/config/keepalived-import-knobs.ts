// keepalived's VRRP protocol knobs → vrrpd (keepalived 2.4.3 meaning: global_parser.c,
// vrrp_parser.c, and how vrrp.c resolves them per instance):
//   global_defs                     vrrp_instance              vrrpd
//   vrrp_higher_prio_send_advert    higher_prio_send_advert    [global.vrrp_defaults.]higher_prio_send_advert
//   vrrp_lower_prio_no_advert       lower_prio_no_advert       [...]lower_prio_no_advert
//   vrrp_down_timer_adverts         down_timer_adverts         [...]down_timer_adverts
//   vrrp_garp_lower_prio_repeat     garp_lower_prio_repeat     garp_lower_prio_repeat / garp.lower_prio_repeat
//   vrrp_garp_lower_prio_delay      garp_lower_prio_delay      garp_lower_prio_delay / garp.lower_prio_delay
//   vrrp_garp_extra_if [all] N      garp_extra_if [all] N      garp_extra_if / garp.extra_if
// (and the names before 2.2.3: vrrp_vmac_garp_intvl, vmac_garp_intvl).
// keepalived's own resolution that the importer writes out: the global lower-priority GARP
// repeat and delay default to its global vrrp_garp_master_repeat / _delay; strict mode
// forces lower_prio_no_advert on, higher_prio_send_advert off, down_timer_adverts 3 and no
// lower-priority GARPs.
import { formatDurationMs } from './duration.js';
import type { KaStatement } from './keepalived-conf.js';

type Obj = Record<string, unknown>;

/** the importer's note shape (keepalived-import.ts ImportNote) */
export interface KnobNote {
  line: number;
  file?: string;
  text: string;
  dropped: boolean;
}

const note = (s: KaStatement, text: string, dropped: boolean): KnobNote => ({
  line: s.line,
  ...(s.file ? { file: s.file } : {}),
  text: dropped ? `'${s.words.join(' ')}' because ${text}` : text,
  dropped,
});

/** keepalived check_true_false; absent = true; undefined: not a BOOL */
function kaBool(w: string | undefined): boolean | undefined {
  if (w === undefined) return true;
  const l = w.toLowerCase();
  if (['on', 'true', 'yes'].includes(l)) return true;
  if (['off', 'false', 'no'].includes(l)) return false;
  return undefined;
}

/** a whole number in [min, max] as keepalived's read_unsigned_strvec takes it, else undefined */
function kaUnsigned(w: string | undefined, min: number, max: number): number | undefined {
  if (w === undefined || !/^\d+$/.test(w)) return undefined;
  const n = Number(w);
  return n >= min && n <= max ? n : undefined;
}

const secs = (n: number): string => formatDurationMs(n * 1000);

/** the knobs of global_defs, as met (keepalived: the last one wins) */
export interface GlobalKnobs {
  defaults: Obj;
}

export const GLOBAL_KNOB_KEYWORDS = [
  'vrrp_higher_prio_send_advert',
  'vrrp_lower_prio_no_advert',
  'vrrp_down_timer_adverts',
  'vrrp_garp_lower_prio_repeat',
  'vrrp_garp_lower_prio_delay',
  'vrrp_garp_extra_if',
  'vrrp_vmac_garp_intvl',
];

export const INSTANCE_KNOB_KEYWORDS = [
  'higher_prio_send_advert',
  'lower_prio_no_advert',
  'down_timer_adverts',
  'garp_lower_prio_repeat',
  'garp_lower_prio_delay',
  'garp_extra_if',
  'vmac_garp_intvl',
];

/** garp_extra_if's words: `all` anywhere, and the seconds */
function extraIfWords(words: string[], min: number): { all: boolean; seconds?: number; bad?: string } {
  let all = false;
  let seconds: number | undefined;
  for (const w of words) {
    if (w === 'all') all = true;
    else {
      const n = kaUnsigned(w, min, 86400);
      if (n === undefined) return { all, bad: w };
      seconds = n;
    }
  }
  return { all, ...(seconds !== undefined ? { seconds } : {}) };
}

/** One global_defs statement of GLOBAL_KNOB_KEYWORDS. */
export function globalKnob(s: KaStatement, k: GlobalKnobs, notes: KnobNote[]): void {
  const [kw, a] = s.words;
  const d = k.defaults;
  const invalid = (why: string) => notes.push(note(s, `${why}: keepalived ignores it too`, false));
  switch (kw) {
    case 'vrrp_higher_prio_send_advert':
    case 'vrrp_lower_prio_no_advert': {
      const b = kaBool(a);
      if (b === undefined) invalid(`'${a}' is not a keepalived <BOOL>`);
      else d[kw.slice(5)] = b;
      break;
    }
    case 'vrrp_down_timer_adverts': {
      const n = kaUnsigned(a, 1, 100);
      if (n === undefined) invalid(`'${a}' is not 1..100`);
      else d.down_timer_adverts = n;
      break;
    }
    case 'vrrp_garp_lower_prio_repeat': {
      const n = kaUnsigned(a, 0, 2147483647);
      if (n === undefined) invalid(`'${a}' is not a number`);
      else d.garp_lower_prio_repeat = n;
      break;
    }
    case 'vrrp_garp_lower_prio_delay': {
      const n = kaUnsigned(a, 0, 4294967);
      if (n === undefined) invalid(`'${a}' is not whole seconds`);
      else d.garp_lower_prio_delay = secs(n);
      break;
    }
    default: {
      // vrrp_garp_extra_if [all] SECONDS (1..86400), vrrp_vmac_garp_intvl its old name
      const x = extraIfWords(s.words.slice(1), 1);
      if (x.bad !== undefined) invalid(`'${x.bad}' is not 1..86400 seconds`);
      else if (x.seconds === undefined) invalid('it gives no time');
      else {
        d.garp_extra_if = { interval: secs(x.seconds), all: x.all };
        if (kw === 'vrrp_vmac_garp_intvl') notes.push(note(s, 'the old name of vrrp_garp_extra_if', false));
      }
    }
  }
}

/**
 * After global_defs: keepalived's global lower-priority GARP repeat and delay default to its
 * global vrrp_garp_master_repeat / _delay (vrrp_min_garp included), written out here.
 */
export function finishGlobalKnobs(k: GlobalKnobs, globalGarp: Obj): Obj | undefined {
  const d = k.defaults;
  if (d.garp_lower_prio_repeat === undefined && globalGarp.repeat !== undefined)
    d.garp_lower_prio_repeat = globalGarp.repeat;
  if (d.garp_lower_prio_delay === undefined && globalGarp.delay !== undefined)
    d.garp_lower_prio_delay = globalGarp.delay;
  return Object.keys(d).length ? d : undefined;
}

/** an instance's knob statements, gathered while its block is read */
export type InstanceKnobs = Map<string, KaStatement>;

/**
 * Writes an instance's knobs into its vrrpd value `v` and `garp`. vipTexts: its VIP
 * entries as written (with ` dev IFNAME`), to see whether garp_extra_if has anything to do.
 */
export function finishInstanceKnobs(
  st: InstanceKnobs,
  v: Obj,
  garp: Obj,
  opts: {
    strict: boolean;
    globalDefaults: Obj | undefined;
    vipTexts: string[];
    vipStatements: KaStatement[];
  },
  notes: KnobNote[],
): void {
  const gd = opts.globalDefaults ?? {};
  const bad = (s: KaStatement, why: string) =>
    notes.push(note(s, `${why}: keepalived ignores it too`, false));
  for (const kw of ['higher_prio_send_advert', 'lower_prio_no_advert'] as const) {
    const s = st.get(kw);
    if (!s) continue;
    const b = kaBool(s.words[1]);
    if (b === undefined) bad(s, `'${s.words[1]}' is not a keepalived <BOOL>`);
    else v[kw] = b;
  }
  const dta = st.get('down_timer_adverts');
  if (dta) {
    const n = kaUnsigned(dta.words[1], 1, 100);
    if (n === undefined) bad(dta, `'${dta.words[1]}' is not 1..100`);
    else v.down_timer_adverts = n;
  }
  const rep = st.get('garp_lower_prio_repeat');
  if (rep) {
    const n = kaUnsigned(rep.words[1], 0, 2147483647);
    if (n === undefined) bad(rep, `'${rep.words[1]}' is not a number`);
    else garp.lower_prio_repeat = n;
  }
  const del = st.get('garp_lower_prio_delay');
  if (del) {
    const n = kaUnsigned(del.words[1], 0, 4294967);
    if (n === undefined) bad(del, `'${del.words[1]}' is not whole seconds`);
    else garp.lower_prio_delay = secs(n);
  }
  const ex = st.get('garp_extra_if') ?? st.get('vmac_garp_intvl');
  if (ex) extraIf(ex, garp, v, opts, notes);

  if (opts.strict) {
    // keepalived strict mode: these are forced whatever was set (vrrp.c, and reported)
    const forced: [Obj, string, unknown, unknown][] = [
      [v, 'lower_prio_no_advert', true, gd.lower_prio_no_advert ?? false],
      [v, 'higher_prio_send_advert', false, gd.higher_prio_send_advert ?? false],
      [v, 'down_timer_adverts', 3, gd.down_timer_adverts ?? 3],
      [garp, 'lower_prio_repeat', 0, gd.garp_lower_prio_repeat ?? 5],
    ];
    for (const [o, key, value, inherited] of forced) {
      const own = o[key];
      if (own !== undefined && own !== value) {
        const s = st.get(key === 'lower_prio_repeat' ? 'garp_lower_prio_repeat' : key);
        if (s)
          notes.push(
            note(
              s,
              `${key} ${JSON.stringify(value)} written out: keepalived forces it in strict mode`,
              false,
            ),
          );
      }
      if (own !== undefined || inherited !== value) o[key] = value;
    }
    if (garp.lower_prio_delay !== undefined) garp.lower_prio_delay = '0s';
  }
}

function extraIf(
  s: KaStatement,
  garp: Obj,
  v: Obj,
  opts: { vipTexts: string[]; vipStatements: KaStatement[] },
  notes: KnobNote[],
): void {
  const x = extraIfWords(s.words.slice(1), 0);
  if (x.bad !== undefined) {
    notes.push(note(s, `'${x.bad}' is not 0..86400 seconds: keepalived ignores it too`, false));
    return;
  }
  if (x.seconds === undefined) {
    notes.push(note(s, 'it gives no time: keepalived ignores it too', false));
    return;
  }
  if (s.words[0] === 'vmac_garp_intvl') notes.push(note(s, 'the old name of garp_extra_if', false));
  if (x.seconds === 0) {
    garp.extra_if = { interval: '0s' };
    return;
  }
  // the interfaces other than the instance's that its VIPs are on (with use_vmac the VIPs
  // without dev are on the macvlan, so the parent interface counts as another one)
  const devs = opts.vipTexts.map((t) => / dev (\S+)/.exec(t)?.[1]).filter((d) => d !== undefined);
  const others = devs.filter((d) => v.use_vmac === true || d !== v.interface);
  if (!x.all) {
    // keepalived then sends only on the macvlans it made for VIPs (an address's use_vmac)
    const vipMacvlan = opts.vipStatements.some((vs) => vs.words.includes('use_vmac'));
    if (vipMacvlan)
      notes.push(
        note(
          s,
          'keepalived sends these on the macvlans of VIPs with use_vmac, which vrrpd does not make: nothing is sent',
          true,
        ),
      );
    else
      notes.push(
        note(
          s,
          'without all keepalived sends only on VIP macvlans, and no VIP has one: keepalived sends nothing either',
          false,
        ),
      );
    garp.extra_if = { interval: '0s' };
    return;
  }
  if (others.length === 0) {
    notes.push(
      note(s, 'no VIP of the instance is on another interface: keepalived sends nothing either', false),
    );
    garp.extra_if = { interval: '0s' };
    return;
  }
  garp.extra_if = { interval: secs(x.seconds), all: true };
}
