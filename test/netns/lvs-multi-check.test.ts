// Several checks per real server, several urls per HTTP check and a virtual server group,
// against real HTTP and TCP servers in another network namespace: the LVS controller (with
// its real check manager, in the checker's namespace) puts in only the real servers that
// pass every check, and probes each real server once however many services it is in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { createTopology, type Topology } from '../helpers/netns.js';

const why = missing({ root: true, commands: ['ip'] });
const TSX = 'node_modules/.bin/tsx';
const AGENT = 'test/netns/lvs-multi-check.agent.ts';

// Three "real servers" on one host, by port: 8080 healthy (/live and /ready 200, 204 on
// /maybe), 8090 whose /ready says 503, 8100 healthy over HTTP. TCP 9000 accepts, 9001 is
// closed (refused). The server counts requests by port and path, printed on 'count'.
const SERVER = `
const http = require('node:http');
const net = require('node:net');
const counts = {};
const serve = (port, ready) => http.createServer((q, s) => {
  const k = port + q.url; counts[k] = (counts[k] || 0) + 1;
  if (q.url === '/live') s.end('ok');
  else if (q.url === '/ready') { s.statusCode = ready ? 200 : 503; s.end('r'); }
  else if (q.url === '/maybe') { s.statusCode = 204; s.end(); }
  else { s.statusCode = 404; s.end(); }
}).listen(port, '0.0.0.0');
serve(8080, true); serve(8090, false); serve(8100, true);
net.createServer((c) => c.on('error', () => {}).end()).listen(9000, '0.0.0.0', () => console.log('ready'));
process.stdin.on('data', () => console.log('COUNTS ' + JSON.stringify(counts)));
`;

describe.skipIf(why)('LVS checks against real servers in namespaces', () => {
  let topo: Topology;
  let srv = '';
  let server: ReturnType<Topology['spawn']>;
  let out = '';
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-lvs-multi-'));

  beforeAll(async () => {
    topo = await createTopology({ hosts: ['chk', 'srv'] });
    srv = topo.host('srv').ipv4;
    server = topo.spawn('srv', ['node', '-e', SERVER]);
    server.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const t0 = Date.now();
    while (!out.includes('ready')) {
      if (Date.now() - t0 > 20_000) throw new Error('server in namespace did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await topo?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(yaml: string, ms: number) {
    const file = join(dir, 'lvs.yaml');
    writeFileSync(file, yaml);
    const r = await topo.exec('chk', [TSX, AGENT, file, String(ms)], { timeoutMs: 60_000 });
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      view: Record<string, string[]>;
      health: Record<string, string>;
    };
  }

  async function counts(): Promise<Record<string, number>> {
    out = '';
    server.stdin?.write('\n');
    const t0 = Date.now();
    while (!out.includes('COUNTS ')) {
      if (Date.now() - t0 > 5000) throw new Error('no counts from the server');
      await new Promise((r) => setTimeout(r, 20));
    }
    return JSON.parse(out.slice(out.indexOf('COUNTS ') + 7).split('\n')[0]!);
  }

  it('a real server is in only while every check and every url passes; groups probe each server once', async () => {
    const rs = (port: number, tcpPort: number) =>
      [
        `      - address: ${srv}`,
        `        port: ${port}`,
        '        checks:',
        `          - {type: tcp, port: ${tcpPort}}`,
        "          - {type: http, status: ['200-299'], urls: [{path: /live}, {path: /ready}, {path: /maybe}]}",
      ].join('\n');
    const yaml = [
      'virtual_server_groups:',
      '  - name: web',
      '    entries: [{address: 192.0.2.10-12, port: 80}]',
      'virtual_servers:',
      '  - group: web',
      '    check_defaults: {interval: 500ms, timeout: 2s, retry: 0}',
      '    real_servers:',
      rs(8080, 9000), // all pass
      rs(8090, 9000), // /ready 503
      rs(8100, 9001), // TCP refused
      '',
    ].join('\n');
    const r = await run(yaml, 3000);
    for (const vip of ['192.0.2.10', '192.0.2.11', '192.0.2.12'])
      expect(r.view[`tcp:${vip}:80`], JSON.stringify(r)).toEqual([`${srv}:8080 w1`]);
    expect(r.health[`tcp/192.0.2.10:80 ${srv}:8080`]).toBe('up');
    expect(r.health[`tcp/192.0.2.12:80 ${srv}:8090`]).toBe('down');
    expect(r.health[`tcp/192.0.2.11:80 ${srv}:8100`]).toBe('down');
    // 3 s at 500 ms: about 6 probes per url, not 18 (three services share the check)
    const c = await counts();
    for (const k of ['8080/live', '8080/ready', '8080/maybe', '8090/ready']) {
      expect(c[k], `${k}: ${JSON.stringify(c)}`).toBeGreaterThanOrEqual(3);
      expect(c[k], `${k}: ${JSON.stringify(c)}`).toBeLessThanOrEqual(9);
    }
  });
});
