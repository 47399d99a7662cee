// Ping probe (keepalived PING_CHECK): one ICMP or ICMPv6 echo request; up when the reply
// comes within the connect timeout. The echo itself is an effect (raw sockets of the addon,
// src/effects/icmp-echo.ts) that the daemon hands in, as it hands in the TCP connector.

import type { IcmpEcho } from '../effects/types.js';
import { describeError, type Probe, type ProbeResult, settlesOnAbort, since } from './probe.js';

export interface PingProbeOptions {
  host: string;
  bindAddress?: string;
  connectTimeoutMs: number;
}

export function pingProbe(opts: PingProbeOptions, icmp: IcmpEcho | null): Probe {
  return settlesOnAbort(
    (signal) =>
      new Promise<ProbeResult>((resolve) => {
        const start = performance.now();
        if (icmp === null) {
          resolve({ ok: false, reason: 'no ICMP echo sender (raw sockets) in this process', latencyMs: 0 });
          return;
        }
        let done = false;
        const finish = (r: ProbeResult) => {
          if (done) return;
          done = true;
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const onAbort = () => {
          h.cancel();
          finish({
            ok: false,
            reason: `${describeError(signal.reason)} (${opts.host})`,
            latencyMs: since(start),
          });
        };
        const echoOpts: { bindAddress?: string; timeoutMs: number } = { timeoutMs: opts.connectTimeoutMs };
        if (opts.bindAddress !== undefined) echoOpts.bindAddress = opts.bindAddress;
        const h = icmp.echo(opts.host, echoOpts, (o) =>
          finish(
            o.ok
              ? { ok: true, latencyMs: o.rttMs }
              : { ok: false, reason: o.reason, latencyMs: since(start) },
          ),
        );
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  );
}
