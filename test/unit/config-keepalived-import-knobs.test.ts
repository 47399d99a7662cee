// import-keepalived and keepalived's VRRP protocol knobs: each keepalived.conf below is
// imported, the YAML checked, and the model compared with what keepalived 2.4.3 makes of it
// (global_parser.c, vrrp_parser.c, and the per-instance resolution in vrrp.c).
import { describe, expect, it } from 'vitest';
import { type Config, formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import type { VrrpInstance } from '../../src/config/model.js';

function imp(text: string): { yaml: string; warnings: string[]; config: Config } {
  const r = importKeepalivedConf(text);
  const c = parseConfigText(r.yaml, 'imported.yaml', { hostname: 'h' });
  if (!c.ok) throw new Error(`${r.yaml}\n${c.errors.map(formatConfigError).join('\n')}`);
  return { ...r, config: c.config };
}

const vi = (
  body: string,
  vips = '192.0.2.10/24',
  name = 'VI_1',
  vrid = 51,
): string => `vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  virtual_ipaddress {
    ${vips}
  }
${body}
}
`;
const globals = (body: string): string => `global_defs {\n${body}\n}\n`;

const knobs = (i: VrrpInstance) => ({
  higher: i.higherPrioSendAdvert,
  noAdvert: i.lowerPrioNoAdvert,
  down: i.downTimerAdverts,
  rep: i.garp.lowerPrioRepeat,
  delay: i.garp.lowerPrioDelayMs,
  extra: i.garp.extraIfMs,
});
const KEEPALIVED_DEFAULTS = { higher: false, noAdvert: false, down: 3, rep: 5, delay: 5000, extra: 0 };

describe('import-keepalived: VRRP protocol knobs', () => {
  it("nothing set: keepalived's defaults, nothing written", () => {
    const r = imp(vi(''));
    expect(knobs(r.config.vrrpInstances[0]!)).toEqual(KEEPALIVED_DEFAULTS);
    expect(r.yaml).not.toContain('vrrp_defaults');
    expect(r.warnings).toEqual([]);
  });

  it('global_defs set every instance; an instance keyword wins', () => {
    const r = imp(
      globals(`vrrp_higher_prio_send_advert
vrrp_lower_prio_no_advert true
vrrp_down_timer_adverts 5
vrrp_garp_lower_prio_repeat 2
vrrp_garp_lower_prio_delay 10
vrrp_garp_extra_if all 120`) +
        vi('', '192.0.2.10/24\n    198.51.100.10/24 dev eth1') +
        vi(
          `higher_prio_send_advert off
lower_prio_no_advert false
down_timer_adverts 1
garp_lower_prio_repeat 0
garp_lower_prio_delay 0
garp_extra_if all 60`,
          '192.0.2.11/24\n    198.51.100.11/24 dev eth1',
          'VI_2',
          52,
        ),
    );
    const [a, b] = r.config.vrrpInstances;
    expect(knobs(a!)).toEqual({
      higher: true,
      noAdvert: true,
      down: 5,
      rep: 2,
      delay: 10_000,
      extra: 120_000,
    });
    expect(knobs(b!)).toEqual({ higher: false, noAdvert: false, down: 1, rep: 0, delay: 0, extra: 60_000 });
    expect(r.yaml).toContain('vrrp_defaults:');
    expect(r.warnings).toEqual([]);
  });

  it('the global lower-priority GARPs default to the global vrrp_garp_master_repeat / _delay (and vrrp_min_garp)', () => {
    const a = imp(
      globals('vrrp_garp_master_repeat 3\nvrrp_garp_master_delay 8') + vi('garp_master_repeat 9'),
    );
    // keepalived: the global master repeat, not the instance's garp_master_repeat
    expect(knobs(a.config.vrrpInstances[0]!)).toMatchObject({ rep: 3, delay: 8000 });
    const b = imp(globals('vrrp_min_garp') + vi(''));
    expect(knobs(b.config.vrrpInstances[0]!)).toMatchObject({ rep: 1, delay: 0 });
    const c = imp(globals('vrrp_garp_master_repeat 3\nvrrp_garp_lower_prio_repeat 7') + vi(''));
    expect(knobs(c.config.vrrpInstances[0]!)).toMatchObject({ rep: 7, delay: 5000 });
  });

  it('strict mode forces lower_prio_no_advert, no higher_prio_send_advert, 3 adverts and no lower-priority GARPs', () => {
    const r = imp(
      globals('vrrp_higher_prio_send_advert\nvrrp_down_timer_adverts 5') +
        vi('strict_mode\ndown_timer_adverts 7\ngarp_lower_prio_repeat 4') +
        vi('', '192.0.2.11/24', 'VI_2', 52),
    );
    const [strict, plain] = r.config.vrrpInstances;
    expect(knobs(strict!)).toMatchObject({ higher: false, noAdvert: true, down: 3, rep: 0 });
    expect(knobs(plain!)).toMatchObject({ higher: true, noAdvert: false, down: 5, rep: 5 });
    expect(r.yaml).toContain('down_timer_adverts 3 written out: keepalived forces it in strict mode');
    expect(r.yaml).toContain('lower_prio_repeat 0 written out: keepalived forces it in strict mode');
    // vrrp_strict does the same to every instance
    const g = imp(globals('vrrp_strict') + vi(''));
    expect(knobs(g.config.vrrpInstances[0]!)).toMatchObject({
      higher: false,
      noAdvert: true,
      down: 3,
      rep: 0,
    });
  });

  it('garp_extra_if: with all and a VIP elsewhere carried; otherwise keepalived sends nothing either', () => {
    const other = '192.0.2.10/24\n    198.51.100.10/24 dev eth1';
    expect(knobs(imp(vi('garp_extra_if all 60', other)).config.vrrpInstances[0]!).extra).toBe(60_000);
    // the old name, and `all` after the number
    const old = imp(vi('vmac_garp_intvl 60 all', other));
    expect(knobs(old.config.vrrpInstances[0]!).extra).toBe(60_000);
    expect(old.yaml).toContain('the old name of garp_extra_if');
    // use_vmac: the parent interface is another interface of the VIPs
    const vmac = imp(vi('use_vmac\ngarp_extra_if all 60', '192.0.2.10/24\n    198.51.100.10/24 dev eth0'));
    expect(knobs(vmac.config.vrrpInstances[0]!).extra).toBe(60_000);
    // no VIP elsewhere, or no `all` (keepalived then sends only on VIP macvlans): off, noted,
    // and written as 0 so that a global garp_extra_if does not apply either
    for (const [body, vips, why] of [
      ['garp_extra_if all 60', '192.0.2.10/24', 'no VIP of the instance is on another interface'],
      ['garp_extra_if 60', other, 'keepalived sends nothing either'],
    ] as const) {
      const r = imp(globals('vrrp_garp_extra_if all 30') + vi(body, vips));
      expect(knobs(r.config.vrrpInstances[0]!).extra).toBe(0);
      expect(r.yaml).toContain(why);
      expect(r.warnings).toEqual([]);
    }
    // a VIP with its own macvlan: keepalived would send there, vrrpd makes none: flagged
    const vipVmac = imp(vi('garp_extra_if 60', '192.0.2.10/24\n    198.51.100.10/24 dev eth1 use_vmac'));
    expect(vipVmac.warnings.join('\n')).toContain('garp_extra_if 60');
    // 0 turns a global one off for this instance
    const off = imp(globals('vrrp_garp_extra_if all 30') + vi('garp_extra_if 0', other));
    expect(knobs(off.config.vrrpInstances[0]!).extra).toBe(0);
    expect(
      knobs(imp(globals('vrrp_garp_extra_if all 30') + vi('', other)).config.vrrpInstances[0]!).extra,
    ).toBe(30_000);
  });

  it('values keepalived refuses are noted and left out, as keepalived ignores them', () => {
    const r = imp(
      globals('vrrp_down_timer_adverts 101\nvrrp_garp_extra_if all\nvrrp_lower_prio_no_advert maybe') +
        vi('down_timer_adverts 0\ngarp_lower_prio_repeat -1\nhigher_prio_send_advert 2\ngarp_extra_if 90000'),
    );
    expect(knobs(r.config.vrrpInstances[0]!)).toEqual(KEEPALIVED_DEFAULTS);
    for (const s of [
      "'101' is not 1..100",
      'it gives no time',
      "'maybe' is not a keepalived <BOOL>",
      "'0' is not 1..100",
      "'-1' is not a number",
      "'2' is not a keepalived <BOOL>",
      "'90000' is not 0..86400 seconds",
    ])
      expect(r.yaml).toContain(s);
  });
});
