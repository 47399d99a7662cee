// keepalived's VRRP protocol knobs: global.vrrp_defaults (keepalived vrrp_* in global_defs)
// and each instance's own value, which wins when set (as keepalived resolves them):
// higher_prio_send_advert, lower_prio_no_advert, down_timer_adverts,
// garp_lower_prio_repeat / garp_lower_prio_delay, garp_extra_if [all] SECONDS.
import type { BuildContext } from './build-context.js';
import type { ConfigPath } from './errors.js';
import { pathText } from './errors.js';
import type { VrrpInstance } from './model.js';
import type { RawExtraIf, RawInstance, RawVrrpDefaults } from './raw.js';

/** The resolved global defaults (the model keeps only the per-instance result). */
export interface VrrpKnobDefaults {
  readonly higherPrioSendAdvert: boolean;
  readonly lowerPrioNoAdvert: boolean;
  readonly downTimerAdverts: number;
  readonly garpLowerPrioRepeat: number;
  readonly garpLowerPrioDelayMs: number;
  /** garp_extra_if; absent: none */
  readonly extraIf?: { readonly intervalMs: number; readonly all: boolean };
}

/** keepalived's own defaults (global_defs without any of the keywords). */
export const KEEPALIVED_KNOB_DEFAULTS: VrrpKnobDefaults = {
  higherPrioSendAdvert: false,
  lowerPrioNoAdvert: false,
  downTimerAdverts: 3,
  garpLowerPrioRepeat: 5,
  garpLowerPrioDelayMs: 5000,
};

const MAX_EXTRA_IF_MS = 86_400_000;

function extraIfOf(
  ctx: BuildContext,
  p: ConfigPath,
  e: RawExtraIf,
  minMs: number,
): { intervalMs: number; all: boolean } {
  const intervalMs = ctx.ms([...p, 'interval'], e.interval);
  if (
    intervalMs > MAX_EXTRA_IF_MS ||
    (intervalMs < minMs && intervalMs !== 0) ||
    (minMs > 0 && intervalMs === 0)
  ) {
    ctx.error(
      [...p, 'interval'],
      'CONFIG_OUT_OF_RANGE',
      `${pathText([...p, 'interval'])} must be ${minMs > 0 ? '1s' : '0 (off)'} to 86400s, not ${String(e.interval)}`,
    );
  }
  return { intervalMs, all: e.all };
}

export function buildVrrpDefaults(ctx: BuildContext, d: RawVrrpDefaults | undefined): VrrpKnobDefaults {
  if (!d) return KEEPALIVED_KNOB_DEFAULTS;
  const p = ['global', 'vrrp_defaults'];
  return {
    higherPrioSendAdvert: d.higher_prio_send_advert,
    lowerPrioNoAdvert: d.lower_prio_no_advert,
    downTimerAdverts: d.down_timer_adverts,
    garpLowerPrioRepeat: d.garp_lower_prio_repeat,
    garpLowerPrioDelayMs: ctx.ms([...p, 'garp_lower_prio_delay'], d.garp_lower_prio_delay),
    ...(d.garp_extra_if ? { extraIf: extraIfOf(ctx, [...p, 'garp_extra_if'], d.garp_extra_if, 1000) } : {}),
  };
}

/** The instance's knobs: its own settings, else the global defaults. */
export function instanceKnobs(
  ctx: BuildContext,
  r: RawInstance,
  p: ConfigPath,
  d: VrrpKnobDefaults,
  /** the interface the VIPs go on when they name none */
  vipDevs: { dev?: string }[],
): Pick<VrrpInstance, 'higherPrioSendAdvert' | 'lowerPrioNoAdvert' | 'downTimerAdverts'> & {
  garp: Pick<VrrpInstance['garp'], 'lowerPrioRepeat' | 'lowerPrioDelayMs' | 'extraIfMs'>;
} {
  const g = r.garp;
  const own = g.extra_if ? extraIfOf(ctx, [...p, 'garp', 'extra_if'], g.extra_if, 0) : undefined;
  const extra = own ?? d.extraIf;
  // keepalived sends on the other interfaces of the VIPs: on its own VIP macvlans, and on
  // the others with `all`. vrrpd puts VIPs on no macvlan but the instance's, so only `all`
  // sends; without another interface there is nothing to send on.
  // with use_vmac the VIPs without dev are on the macvlan, so the parent is another interface
  const others = new Set(
    vipDevs.map((v) => v.dev).filter((x) => x !== undefined && (r.use_vmac || x !== r.interface)),
  );
  let extraIfMs = 0;
  if (extra && extra.intervalMs > 0 && extra.all && others.size > 0) extraIfMs = extra.intervalMs;
  if (own && own.intervalMs > 0 && extraIfMs === 0) {
    ctx.error(
      [...p, 'garp', 'extra_if'],
      'CONFIG_NOT_APPLICABLE',
      own.all
        ? 'garp.extra_if has no effect: no VIP of this instance is on another interface (dev)'
        : 'garp.extra_if has no effect without all: true (vrrpd puts no VIP on a macvlan of its own other than the instance one)',
      true,
    );
  }
  return {
    higherPrioSendAdvert: r.higher_prio_send_advert ?? d.higherPrioSendAdvert,
    lowerPrioNoAdvert: r.lower_prio_no_advert ?? d.lowerPrioNoAdvert,
    downTimerAdverts: r.down_timer_adverts ?? d.downTimerAdverts,
    garp: {
      lowerPrioRepeat: g.lower_prio_repeat ?? d.garpLowerPrioRepeat,
      lowerPrioDelayMs:
        g.lower_prio_delay === undefined
          ? d.garpLowerPrioDelayMs
          : ctx.ms([...p, 'garp', 'lower_prio_delay'], g.lower_prio_delay),
      extraIfMs,
    },
  };
}
