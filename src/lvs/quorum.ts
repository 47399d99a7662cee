// Quorum transitions of virtual servers after a pass: a service's healthy weight fell
// below its quorum (or rose back above quorum + hysteresis, desired.ts decides which),
// logged once per transition with the quorum_up/quorum_down hook.
import type { Config, VirtualServer } from '../config/model.js';
import type { Log } from '../log.js';
import { type DesiredState, statusKey } from './desired.js';
import { type HookScripts, quorumIdentity } from './hook-scripts.js';

/** Records each virtual server's quorum in `last` (by key) and reports what moved. */
export function quorumTransitions(
  config: Config,
  d: DesiredState,
  last: Map<string, boolean>,
  log: Log,
  hooks: HookScripts,
  /** each transition, for notify FIFOs and e-mail alerts */
  onQuorum?: (vs: VirtualServer, up: boolean, detail: string) => void,
): void {
  for (const vs of config.virtualServers) {
    const o = d.virtualServers.get(vs.key);
    if (!o) continue;
    const before = last.get(vs.key);
    last.set(vs.key, o.quorumUp);
    // the first evaluation reports only a missing quorum (a service starting without it)
    if (before === undefined && o.quorumUp) {
      // no log line and no hook for a service starting with its quorum, but keepalived's
      // notify FIFO and e-mail report it (VS ... UP): so do ours
      onQuorum?.(
        vs,
        true,
        `starting with quorum up: healthy weight ${o.healthyWeight} >= quorum ${vs.quorum} + hysteresis ${vs.hysteresis}`,
      );
      continue;
    }
    if (before === o.quorumUp) continue;
    const key = statusKey(vs);
    const fields = {
      event: 'quorum-change',
      virtualServer: key,
      from: before === undefined ? 'unknown' : before ? 'up' : 'down',
      to: o.quorumUp ? 'up' : 'down',
      healthyWeight: o.healthyWeight,
      quorum: vs.quorum,
      hysteresis: vs.hysteresis,
      sorryServer: o.sorryActive,
    };
    const sorry = vs.sorryServer ? `${vs.sorryServer.address}:${vs.sorryServer.port}` : undefined;
    if (o.quorumUp) {
      log.info(
        fields,
        `${key}: quorum regained (healthy weight ${o.healthyWeight} >= ${vs.quorum}+${vs.hysteresis})${sorry ? `; sorry server ${sorry} out` : ''}`,
      );
      if (vs.quorumUp) hooks.run(config.global, vs.quorumUp, `quorum_up of ${key}`, quorumIdentity(vs));
      onQuorum?.(
        vs,
        true,
        `gained quorum: healthy weight ${o.healthyWeight} >= quorum ${vs.quorum} + hysteresis ${vs.hysteresis}`,
      );
    } else {
      log.warn(
        fields,
        `${key}: quorum lost (healthy weight ${o.healthyWeight}, quorum ${vs.quorum}, hysteresis ${vs.hysteresis})${sorry ? `; sorry server ${sorry} in` : ''}`,
      );
      if (vs.quorumDown) hooks.run(config.global, vs.quorumDown, `quorum_down of ${key}`, quorumIdentity(vs));
      onQuorum?.(
        vs,
        false,
        `${before === undefined ? 'starting with quorum down' : 'lost quorum'}: healthy weight ${o.healthyWeight}, quorum ${vs.quorum}, hysteresis ${vs.hysteresis}`,
      );
    }
  }
}
