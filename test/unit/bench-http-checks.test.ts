// Pure parts of bench/http-checks.ts (bench/lib/http-checks.ts): nginx's stub_status page,
// the pair's YAML (a valid config with one HTTP check per real server) and the keepalived.conf
// of the guest comparison, which vrrpd reads through the importer as the same checks.
import { describe, expect, it } from 'vitest';
import {
  keepalivedChecksConf,
  nginxConf,
  pairYaml,
  stubRequests,
  usPerCheck,
} from '../../bench/lib/http-checks.js';
import { parseConfigText } from '../../src/config/index.js';
import { importKeepalived } from '../../src/config/keepalived-import.js';

describe('bench/lib/http-checks', () => {
  it('reads the requests counter of a stub_status page, and refuses anything else', () => {
    const page =
      'Active connections: 3 \nserver accepts handled requests\n 120 120 345 \nReading: 0 Writing: 1 Waiting: 0 \n';
    expect(stubRequests(page)).toBe(345);
    expect(() => stubRequests('<html>404</html>')).toThrow(/not an nginx stub_status page/);
  });

  it('nginx listens on every port and answers /healthz', () => {
    const c = nginxConf({ dir: '/tmp/x', ports: [19999, 20000, 20001], workers: 2 });
    expect(c.match(/^ {4}listen \d+ backlog=4096;$/gm)).toHaveLength(3);
    expect(c).toContain('location = /healthz');
    expect(c).toContain('worker_processes 2;');
  });

  it('the director YAML is a valid config with an HTTP check per real server', () => {
    const r = parseConfigText(
      pairYaml({
        routerId: 'd',
        controlSocket: '/tmp/d.sock',
        iface: 'eth0',
        vrid: 52,
        priority: 200,
        advertMs: 100,
        vip: '192.0.2.50',
        checks: {
          vip: '192.0.2.60',
          ports: [20000, 20001],
          addresses: ['198.51.100.1', '198.51.100.2', '203.0.113.1'],
          intervalMs: 1000,
          timeoutMs: 1000,
        },
      }),
      'd.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const rs = r.config.virtualServers.flatMap((vs) => vs.realServers);
    expect(rs).toHaveLength(6);
    expect(rs.every((x) => x.check?.type === 'http')).toBe(true);
  });

  it('the keepalived.conf imports as the same HTTP checks', () => {
    const ka = keepalivedChecksConf({
      routerId: 'ka',
      vip: '192.0.2.60',
      ports: [20000, 20001],
      addresses: ['198.51.100.1', '198.51.100.2'],
      delayLoopS: 1,
      connectTimeoutS: 1,
    });
    const r = parseConfigText(importKeepalived(ka), 'imported.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const rs = r.config.virtualServers.flatMap((vs) => vs.realServers);
    expect(rs).toHaveLength(4);
    expect(rs.every((x) => x.check?.type === 'http')).toBe(true);
    expect(usPerCheck(2_000_000, 100)).toBe(20);
    expect(usPerCheck(1, 0)).toBeNaN();
  });
});
