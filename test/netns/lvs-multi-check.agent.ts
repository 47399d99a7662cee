// Runs the LVS controller with its real check manager inside a network namespace, for
// lvs-multi-check.test.ts:  ip netns exec NS tsx test/netns/lvs-multi-check.agent.ts CONFIG.yaml MS
// The IPVS table is an in-memory one (this host's kernel has no IPVS; the guest tests do
// the kernel side). After MS milliseconds it prints one JSON line: the table (service key →
// sorted 'address:port weight') and each real server's health from the status snapshot.
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/config/index.js';
import { createScriptRunner } from '../../src/effects/script-runner.js';
import { applyOps } from '../../src/lvs/apply.js';
import { LvsController, type LvsIpvsClient } from '../../src/lvs/controller.js';
import { cloneTable, type IpvsTable } from '../../src/lvs/model.js';
import { recordingLog } from '../helpers/log.js';

const [file, msText] = process.argv.slice(2);
const r = parseConfigText(readFileSync(file!, 'utf8'), file!, { hostname: 'h' });
if (!r.ok) throw new Error(JSON.stringify(r.errors));
let table: IpvsTable = new Map();
const ipvs: LvsIpvsClient = {
  dump: async () => cloneTable(table),
  applyAll: async (ops) => {
    table = applyOps(table, ops);
    return { failures: [] };
  },
  setTimeouts: async () => {},
  startDaemon: async () => {},
  stopDaemon: async () => {},
  listDaemons: async () => [],
};
const c = new LvsController(r.config, recordingLog([]), {
  ipvs,
  runner: createScriptRunner(),
  debounceMs: 5,
});
await c.start();
await new Promise((res) => setTimeout(res, Number(msText)));
const view: Record<string, string[]> = {};
for (const [k, s] of table)
  view[k] = [...s.dests.values()].map((d) => `${d.address}:${d.port} w${d.weight}`).sort();
const health: Record<string, string> = {};
for (const v of c.snapshot().virtualServers)
  for (const rs of v.realServers) health[`${v.key} ${rs.address}:${rs.port}`] = rs.health;
await c.stop();
process.stdout.write(`${JSON.stringify({ view, health })}\n`);
process.exit(0);
