// The routes and rules of one VRRP instance (keepalived virtual_routes / virtual_rules):
// added when it becomes MASTER (routes after the VIPs, since a route may take a VIP as its
// source), removed when it leaves MASTER or vrrpd stops, and, while MASTER, put back when
// someone deletes one (unless no_track), as the VIPs are.
import type { VirtualRoute, VirtualRule, VrrpInstance } from '../config/model.js';
import type { RoutingManager } from '../effects/types.js';
import type { Log } from '../log.js';

export interface RoutingSnapshot {
  routes: { route: string; table: number; noTrack: boolean; installed: boolean }[];
  rules: { rule: string; noTrack: boolean; installed: boolean }[];
}

export interface RoutingCounters {
  /** routes and rules put back after someone deleted them */
  routesRestored: number;
  rulesRestored: number;
  routeErrors: number;
}

export class InstanceRouting {
  readonly counters: RoutingCounters = { routesRestored: 0, rulesRestored: 0, routeErrors: 0 };
  /** a reconcile is running; another was asked for meanwhile */
  private reconciling: Promise<void> | null = null;
  private again = false;
  /** install, remove, update and reconcile run one after the other, in the order asked */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly manager: RoutingManager | undefined,
    private readonly log: Log,
    private readonly instance: () => string,
  ) {}

  static has(cfg: VrrpInstance): boolean {
    return (cfg.virtualRoutes?.length ?? 0) + (cfg.virtualRules?.length ?? 0) > 0;
  }

  /** Becoming MASTER: every rule and route (resolves when the kernel answered for all). */
  install(cfg: VrrpInstance, stillMaster: () => boolean): Promise<void> {
    if (!this.manager || !InstanceRouting.has(cfg)) return Promise.resolve();
    return this.queue(() =>
      stillMaster() ? this.addAll(cfg.virtualRoutes ?? [], cfg.virtualRules ?? [], false) : Promise.resolve(),
    );
  }

  /** Leaving MASTER or stopping: every rule and route of cfg. */
  remove(cfg: VrrpInstance): Promise<void> {
    if (!this.manager || !InstanceRouting.has(cfg)) return Promise.resolve();
    return this.queue(() => this.removeNow(cfg));
  }

  private queue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private async removeNow(cfg: VrrpInstance): Promise<void> {
    await this.removeLists(cfg.virtualRoutes ?? [], cfg.virtualRules ?? []);
  }

  /** The other way round from adding: the rules, then the routes. */
  private async removeLists(routes: readonly VirtualRoute[], rules: readonly VirtualRule[]): Promise<void> {
    const m = this.manager!;
    await Promise.all(
      rules.map((r) => m.removeRule(r).catch((e) => this.failed('remove', 'rule', r.text, e))),
    );
    await Promise.all(
      routes.map((r) => m.removeRoute(r).catch((e) => this.failed('remove', 'route', r.text, e))),
    );
  }

  /** A reload while MASTER: removes what went, adds what came. */
  update(old: VrrpInstance, cfg: VrrpInstance): Promise<void> {
    if (!this.manager || (!InstanceRouting.has(old) && !InstanceRouting.has(cfg))) return Promise.resolve();
    return this.queue(() => this.updateNow(old, cfg));
  }

  private async updateNow(old: VrrpInstance, cfg: VrrpInstance): Promise<void> {
    const routeKeys = new Set((cfg.virtualRoutes ?? []).map(routeKey));
    const ruleKeys = new Set((cfg.virtualRules ?? []).map(ruleKey));
    const oldRoutes = new Set((old.virtualRoutes ?? []).map(routeKey));
    const oldRules = new Set((old.virtualRules ?? []).map(ruleKey));
    await this.removeLists(
      (old.virtualRoutes ?? []).filter((r) => !routeKeys.has(routeKey(r))),
      (old.virtualRules ?? []).filter((r) => !ruleKeys.has(ruleKey(r))),
    );
    await this.addAll(
      (cfg.virtualRoutes ?? []).filter((r) => !oldRoutes.has(routeKey(r))),
      (cfg.virtualRules ?? []).filter((r) => !oldRules.has(ruleKey(r))),
      false,
    );
  }

  /**
   * While MASTER, after a deletion somewhere (or lost notifications, or a VIP put back:
   * Linux drops IPv4 routes through a removed source address without a word): adds back
   * every tracked route and rule the kernel no longer has. Runs one at a time.
   */
  reconcile(cfg: () => VrrpInstance, stillMaster: () => boolean): void {
    if (!this.manager || !InstanceRouting.has(cfg())) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        await this.queue(async () => {
          if (!stillMaster()) return;
          const c = cfg();
          await this.addAll(
            (c.virtualRoutes ?? []).filter((r) => !r.noTrack),
            (c.virtualRules ?? []).filter((r) => !r.noTrack),
            true,
          );
        });
      } while (this.again);
      this.reconciling = null;
    })();
  }

  /** For status: the routes and rules of cfg and whether the kernel has them now. */
  async snapshot(cfg: VrrpInstance): Promise<RoutingSnapshot> {
    const routes = cfg.virtualRoutes ?? [];
    const rules = cfg.virtualRules ?? [];
    let present = { routes: routes.map(() => false), rules: rules.map(() => false) };
    if (this.manager && (routes.length || rules.length)) {
      try {
        present = await this.manager.present(routes, rules);
      } catch {
        // status must not fail because one dump did
      }
    }
    return {
      routes: routes.map((r, i) => ({
        route: r.text,
        table: r.table,
        noTrack: r.noTrack,
        installed: present.routes[i] ?? false,
      })),
      rules: rules.map((r, i) => ({
        rule: r.text,
        noTrack: r.noTrack,
        installed: present.rules[i] ?? false,
      })),
    };
  }

  private async addAll(routes: readonly VirtualRoute[], rules: readonly VirtualRule[], restoring: boolean) {
    const m = this.manager;
    if (!m || routes.length + rules.length === 0) return;
    const note = (kind: 'route' | 'rule', text: string) => (added: boolean) => {
      if (!added || !restoring) return;
      if (kind === 'route') this.counters.routesRestored++;
      else this.counters.rulesRestored++;
      this.log.warn(
        { event: `${kind}-restored`, instance: this.instance(), [kind]: text },
        `virtual ${kind} deleted behind our back; restored`,
      );
    };
    // keepalived's order: the routes (after the VIPs: a route may take one as src), then
    // the rules, whose lookups would otherwise judge the routes' gateways (a prohibit rule
    // makes the kernel refuse a gateway it can no longer reach)
    await Promise.all(
      routes.map((r) =>
        m.addRoute(r).then(note('route', r.text), (e) => this.failed('add', 'route', r.text, e)),
      ),
    );
    await Promise.all(
      rules.map((r) => m.addRule(r).then(note('rule', r.text), (e) => this.failed('add', 'rule', r.text, e))),
    );
  }

  private failed(op: 'add' | 'remove', kind: 'route' | 'rule', text: string, err: unknown): void {
    this.counters.routeErrors++;
    this.log.error(
      { event: `${kind}-${op}-failed`, instance: this.instance(), [kind]: text, err: String(err) },
      `${op === 'add' ? 'adding' : 'removing'} virtual ${kind} failed`,
    );
  }
}

const routeKey = (r: VirtualRoute) => JSON.stringify(r);
const ruleKey = (r: VirtualRule) => JSON.stringify(r);
