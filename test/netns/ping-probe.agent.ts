// Runs ping probes inside a network namespace for check-ping-netns.test.ts:
//   ip netns exec NS tsx test/netns/ping-probe.agent.ts '[{"host":"192.0.2.12","connectTimeoutMs":2000}, ...]'
// Prints the ProbeResults as one JSON line (all share the process's ICMP sockets, as in the daemon).
import { pingProbe } from '../../src/check/ping.js';
import type { ProbeResult } from '../../src/check/probe.js';
import { nativeIcmpEcho } from '../../src/effects/icmp-echo.js';

const reqs = JSON.parse(process.argv[2] ?? '[]') as Parameters<typeof pingProbe>[0][];
const icmp = nativeIcmpEcho();
const results: ProbeResult[] = await Promise.all(
  reqs.map((o) => pingProbe(o, icmp)(new AbortController().signal)),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
