// `vrrpd lab` prerequisites: the pure judgement over probed facts (every missing piece named
// with what to do), the kernel-support evidence rules, the PATH search, and the client
// scripts the lab runs in its client namespace, run here for real against loopback.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answered,
  CONNECT_SCRIPT,
  HTTP_GET_SCRIPT,
  parseConnectResults,
  parseHttpAnswers,
} from '../../src/lab/client.js';
import {
  configOption,
  driverSupport,
  findOnPath,
  formatProblems,
  type LabFacts,
  labProblems,
  missingCaps,
} from '../../src/lab/prereq.js';

const execFileP = promisify(execFile);

const ALL_CAPS = 0x1ffffffffffn;
const good: LabFacts = {
  platform: 'linux',
  euid: 0,
  capEff: ALL_CAPS,
  capAmb: 0n,
  path: '/usr/sbin:/usr/bin',
  ipPath: '/usr/sbin/ip',
  ipNetnsError: null,
  ipJsonError: null,
  kernel: { netns: 'yes', veth: 'yes', bridge: 'yes', ipv6: 'yes' },
  addonError: null,
  buildError: null,
};
const text = (f: Partial<LabFacts>) => labProblems({ ...good, ...f }).map((p) => `${p.what}: ${p.fix}`);

describe('labProblems', () => {
  it('nothing missing: no problem', () => {
    expect(labProblems(good)).toEqual([]);
    // root with unknown kernel support: the lab tries (and explains a failure then)
    expect(text({ kernel: { netns: 'unknown', veth: 'unknown', bridge: 'unknown', ipv6: 'yes' } })).toEqual(
      [],
    );
  });

  it('not Linux: that alone is said', () => {
    const ps = text({ platform: 'darwin', euid: 501, ipPath: null });
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatch(/this is darwin, not Linux/);
  });

  it('not root: says so and how (sudo)', () => {
    expect(text({ euid: 1000, capEff: 0n, capAmb: 0n })).toEqual([
      expect.stringMatching(/^not running as root \(uid 1000\): run it as root, e\.g\. sudo vrrpd lab/),
    ]);
  });

  it('non-root with the capabilities as ambient ones (children get them): accepted', () => {
    const caps = (1n << 12n) | (1n << 13n) | (1n << 21n);
    expect(text({ euid: 1000, capEff: caps, capAmb: caps })).toEqual([]);
    // effective only (e.g. file capabilities on node): the ip children would not have them
    expect(text({ euid: 1000, capEff: caps, capAmb: 0n })).toHaveLength(1);
  });

  it('root in a restricted container: names the missing capabilities', () => {
    const noSysAdmin = ALL_CAPS & ~(1n << 21n) & ~(1n << 13n);
    expect(text({ capEff: noSysAdmin })).toEqual([
      expect.stringMatching(/^running as root but without CAP_SYS_ADMIN, CAP_NET_RAW .*--privileged/),
    ]);
    expect(missingCaps(ALL_CAPS)).toEqual([]);
    expect(missingCaps(0n)).toEqual(['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_NET_RAW']);
  });

  it('no /proc/self/status: root is trusted, non-root is refused', () => {
    expect(text({ capEff: null, capAmb: null })).toEqual([]);
    expect(text({ euid: 1000, capEff: null, capAmb: null })[0]).toMatch(/not running as root/);
  });

  it('ip missing from PATH: names ip, the PATH searched and the package', () => {
    expect(text({ ipPath: null, path: '/tmp/x' })).toEqual([
      expect.stringMatching(
        /^ip \(iproute2\) not found on PATH \(\/tmp\/x\): install iproute2 \(Debian\/Ubuntu: apt-get install iproute2;/,
      ),
    ]);
    expect(text({ ipPath: null, path: '' })[0]).toMatch(/not found on PATH \(empty\)/);
  });

  it('an ip without netns (busybox) or without -j (too old)', () => {
    expect(text({ ipNetnsError: 'ip: unknown command' })[0]).toMatch(
      /^\/usr\/sbin\/ip cannot do `ip netns` \(ip: unknown command\); it is not iproute2's ip \(busybox\?\).*install iproute2/,
    );
    expect(text({ ipJsonError: 'Option "-j" is unknown' })[0]).toMatch(/has no JSON output .* too old/);
  });

  it('kernel pieces that are definitely absent are each named with the CONFIG option', () => {
    const ps = text({ kernel: { netns: 'no', veth: 'no', bridge: 'no', ipv6: 'no' } });
    expect(ps).toHaveLength(4);
    expect(ps.join('\n')).toMatch(
      /CONFIG_NET_NS[\s\S]*CONFIG_VETH[\s\S]*CONFIG_BRIDGE[\s\S]*ipv6\.disable=1/,
    );
  });

  it('addon and build: say how to build them', () => {
    expect(text({ addonError: 'vrrpd native addon not found' })[0]).toMatch(
      /native addon does not load \(vrrpd native addon not found\): build it: 'npm ci'/,
    );
    expect(text({ buildError: 'vrrpd is not built (no x)' })[0]).toMatch(/not built .*: run 'npm run build'/);
  });

  it('several at once: all of them, in one message that says nothing was created', () => {
    const ps = labProblems({ ...good, euid: 1000, capEff: 0n, ipPath: null, addonError: 'boom' });
    expect(ps).toHaveLength(3);
    const msg = formatProblems(ps);
    expect(msg.split('\n')[0]).toBe('cannot run the lab: 3 prerequisites are missing (nothing was created)');
    expect(msg).toMatch(/\n {2}- ip \(iproute2\) not found/);
    expect(formatProblems(ps.slice(0, 1))).toMatch(/^cannot run the lab: a prerequisite is missing/);
  });
});

describe('kernel support evidence', () => {
  const config = ['CONFIG_NET_NS=y', 'CONFIG_VETH=m', '# CONFIG_BRIDGE is not set', 'CONFIG_BRIDGE_X=y'].join(
    '\n',
  );
  it('the kernel config decides when there is one', () => {
    expect(configOption(config, 'NET_NS')).toBe('yes');
    expect(configOption(config, 'VETH')).toBe('yes');
    expect(configOption(config, 'BRIDGE')).toBe('no');
    expect(configOption(config, 'IPV6')).toBe('no');
    const e = { config, loaded: true, builtinList: null, depList: null };
    expect(driverSupport('BRIDGE', 'bridge', e)).toBe('no');
  });

  it('without a config: loaded, built in or installed as a module is yes', () => {
    const none = { config: null, loaded: false, builtinList: null, depList: null };
    expect(driverSupport('VETH', 'veth', { ...none, loaded: true })).toBe('yes');
    expect(driverSupport('VETH', 'veth', { ...none, builtinList: 'kernel/drivers/net/veth.ko\n' })).toBe(
      'yes',
    );
    expect(
      driverSupport('BRIDGE', 'bridge', {
        ...none,
        depList: 'kernel/net/bridge/bridge.ko.zst: kernel/net/llc/llc.ko\n',
      }),
    ).toBe('yes');
  });

  it('no only when both module lists are there and name neither; else unknown', () => {
    const none = { config: null, loaded: false, builtinList: null, depList: null };
    expect(driverSupport('VETH', 'veth', none)).toBe('unknown');
    expect(driverSupport('VETH', 'veth', { ...none, depList: 'kernel/x/vethx.ko:\n' })).toBe('unknown');
    expect(driverSupport('VETH', 'veth', { ...none, builtinList: '', depList: 'kernel/x/vethx.ko:\n' })).toBe(
      'no',
    );
  });
});

describe('findOnPath', () => {
  const dir = mkdtempSync(join(tmpdir(), `vrrpd-lab-path-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds an executable on an absolute PATH entry, never in relative ones', () => {
    const exe = join(dir, 'ip');
    writeFileSync(exe, '#!/bin/true\n');
    chmodSync(exe, 0o755);
    writeFileSync(join(dir, 'notexec'), '');
    expect(findOnPath('ip', `/nonexistent:${dir}`)).toBe(exe);
    expect(findOnPath('notexec', dir)).toBeNull();
    expect(findOnPath('ip', '/nonexistent')).toBeNull();
    expect(findOnPath('ip', `.:relative/${dir}`, () => true)).toBeNull();
    // unset PATH: searched as execFile does
    expect(findOnPath('ip', undefined, (p) => p === '/usr/bin/ip')).toBe('/usr/bin/ip');
  });
});

describe('the client scripts (run by this Node, against loopback)', () => {
  let http: Server;
  let httpPort = 0;
  let closedPort = 0;
  beforeAll(async () => {
    http = createServer((req, res) => res.end(req.url === '/' ? 'r1\n' : 'other\n'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpPort = (http.address() as AddressInfo).port;
    // a port that was just free: nothing listens there
    const t = createTcpServer();
    await new Promise<void>((r) => t.listen(0, '127.0.0.1', r));
    closedPort = (t.address() as AddressInfo).port;
    await new Promise<void>((r) => t.close(() => r()));
  });
  afterAll(() => new Promise<void>((r) => http.close(() => r())));

  const run = async (script: string, args: string[]) =>
    (await execFileP(process.execPath, ['-e', script, ...args], { timeout: 20_000 })).stdout;

  it('CONNECT_SCRIPT: connected and refused both count as an answer', async () => {
    const targets = [
      { address: '127.0.0.1', port: httpPort },
      { address: '127.0.0.1', port: closedPort },
    ];
    const r = parseConnectResults(await run(CONNECT_SCRIPT, [JSON.stringify(targets), '2000']));
    expect(r.map((x) => x.result)).toEqual(['connected', 'refused']);
    expect(r.every(answered)).toBe(true);
    expect(answered({ address: '192.0.2.1', port: 9, result: 'EHOSTUNREACH' })).toBe(false);
    expect(answered({ address: '192.0.2.1', port: 9, result: 'timeout' })).toBe(false);
  });

  it('HTTP_GET_SCRIPT: the bodies, and no answer where nothing listens', async () => {
    const ok = parseHttpAnswers(await run(HTTP_GET_SCRIPT, [`http://127.0.0.1:${httpPort}/`, '3', '2000']));
    expect(ok).toEqual(['r1', 'r1', 'r1']);
    const none = parseHttpAnswers(
      await run(HTTP_GET_SCRIPT, [`http://127.0.0.1:${closedPort}/`, '2', '2000']),
    );
    expect(none).toEqual(['no answer', 'no answer']);
  });

  it('a script that printed no result is a clear error', () => {
    expect(() => parseConnectResults('')).toThrow(/the connect script printed no result/);
    expect(() => parseHttpAnswers('{"a":1}')).toThrow(/the HTTP client printed an unexpected result/);
  });
});
