// Runs one probe inside a network namespace for check-netns.test.ts:
//   ip netns exec NS tsx test/netns/check-probe.agent.ts '{"kind":"tcp","opts":{...},"abortMs":500}'
// Prints the ProbeResult as one JSON line.
import { httpProbe } from '../../src/check/http.js';
import { CheckAbort, type ProbeResult } from '../../src/check/probe.js';
import { tcpProbe } from '../../src/check/tcp.js';
import { nativeTcpConnector } from '../../src/effects/tcp-connect.js';

const req = JSON.parse(process.argv[2] ?? '{}') as {
  kind: 'tcp' | 'http';
  opts: Record<string, unknown>;
  abortMs?: number;
};
const ac = new AbortController();
if (req.abortMs !== undefined) {
  setTimeout(
    () => ac.abort(new CheckAbort('CHECK_TIMEOUT', `timed out after ${req.abortMs} ms`)),
    req.abortMs,
  );
}
const probe =
  req.kind === 'tcp'
    ? tcpProbe(req.opts as unknown as Parameters<typeof tcpProbe>[0], nativeTcpConnector())
    : httpProbe(req.opts as unknown as Parameters<typeof httpProbe>[0]);
const r: ProbeResult = await probe(ac.signal);
// Sockets the probe left open (e.g. one still connecting to a target that drops SYNs) show
// as active TCP handles a moment after the result.
await new Promise((resolve) => setTimeout(resolve, 100));
const leftover = process.getActiveResourcesInfo().filter((x) => /TCP|TLS/i.test(x));
process.stdout.write(`${JSON.stringify({ ...r, leftover })}\n`);
process.exit(0);
