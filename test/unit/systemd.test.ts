// The shipped unit (systemd/vrrpd.service): `systemd-analyze security --offline=true`
// exposure <= 2.0 and `systemd-analyze verify` clean. verify insists that ExecStart's
// binary exists, so it checks a temporary copy whose commands point at node; the shipped
// file keeps the honest /usr/bin/vrrpd.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';

const UNIT = join(process.cwd(), 'systemd/vrrpd.service');
const text = readFileSync(UNIT, 'utf8');

function run(cmd: string, args: string[], cwd: string) {
  return new Promise<{ code: number; out: string }>((resolve) =>
    execFile(cmd, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

/** Every value of a directive (directives may repeat). */
function values(key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
}

describe('systemd/vrrpd.service', () => {
  it('declares the contract the daemon implements', () => {
    expect(values('Type')).toEqual(['notify']);
    expect(values('NotifyAccess')).toEqual(['main']);
    expect(values('ExecStart')).toEqual(['/usr/bin/vrrpd run --config /etc/vrrpd/vrrpd.yaml']);
    expect(values('ExecReload')).toEqual(['/usr/bin/vrrpd reload --socket /run/vrrpd/vrrpd.sock']);
    expect(values('WatchdogSec')).toHaveLength(1);
    expect(values('RuntimeDirectory')).toEqual(['vrrpd']);
    expect(values('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_NET_RAW']);
    expect(values('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET']);
    expect(values('NoNewPrivileges')).toEqual(['yes']);
    expect(values('ProtectSystem')).toEqual(['strict']);
    // V8's JIT needs W+X pages: this setting would stop node from starting
    expect(values('MemoryDenyWriteExecute')).toEqual([]);
  });

  it('has an overall exposure <= 2.0 in systemd-analyze security --offline=true', async (ctx) => {
    const why = missing({ commands: ['systemd-analyze'] });
    if (why) return ctx.skip(why);
    const dir = mkdtempSync(join(tmpdir(), `vsysd${process.pid}-`));
    try {
      writeFileSync(join(dir, 'vrrpd.service'), text);
      const res = await run(
        'systemd-analyze',
        ['security', '--offline=true', '--no-pager', 'vrrpd.service'],
        dir,
      );
      const m = /Overall exposure level for vrrpd\.service: (\d+(?:\.\d+)?)/.exec(res.out);
      expect(m, res.out).not.toBeNull();
      const exposure = Number(m![1]);
      console.log(`systemd-analyze security exposure: ${exposure}`);
      expect(exposure).toBeLessThanOrEqual(2.0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes systemd-analyze verify', async (ctx) => {
    const why = missing({ commands: ['systemd-analyze'] });
    if (why) return ctx.skip(why);
    const dir = mkdtempSync(join(tmpdir(), `vsysd${process.pid}-`));
    try {
      // same unit, commands pointed at a binary that exists on this machine
      writeFileSync(join(dir, 'vrrpd.service'), text.replaceAll('/usr/bin/vrrpd', process.execPath));
      const res = await run('systemd-analyze', ['verify', 'vrrpd.service'], dir);
      expect(res.out.trim()).toBe('');
      expect(res.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
