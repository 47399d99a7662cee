// The Debian package end to end (root): `node dist/src/pkg/build-deb.js` builds it,
// lintian finds no error, `dpkg -i` installs it, the installed vrrpd answers --version and
// check-config, its unit passes `systemd-analyze verify`, its man pages render without
// warnings, its bash completion completes, the installed daemon becomes MASTER in a
// network namespace (so the bundle, its worker thread and the addon all load from
// /usr/lib/vrrpd), `vrrpd lab` runs from it, and `dpkg --purge` leaves nothing: no file
// the package listed, no /etc/vrrpd, /var/lib/vrrpd, user or group. The package is purged
// in afterAll too, so a failing run leaves the machine as it found it (CI runs on this
// machine afterwards).
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { missing } from '../helpers/env.js';
import { createTopology, type Topology } from '../helpers/netns.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILDER = join(ROOT, 'dist/src/pkg/build-deb.js');
const PKG = 'vrrpd';

const why = missing({
  root: true,
  commands: [
    'dpkg-deb',
    'promtool',
    'dpkg-shlibdeps',
    'lintian',
    'man',
    'systemd-analyze',
    'systemctl',
    'ip',
    'bash',
    'strip',
    'setpriv',
  ],
});

interface Run {
  code: number;
  out: string;
  err: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) =>
    execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024, env: opts.env ?? process.env },
      (err, stdout, stderr) =>
        resolve({
          code: err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0,
          out: stdout,
          err: stderr,
        }),
    ),
  );
}

async function ok(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.out}${r.err}`);
  return r.out;
}

/** dpkg-query's -f argument for one field: ${Version} */
const field = (name: string) => `-f=\${${name}}`;

async function installed(): Promise<boolean> {
  const r = await run('dpkg-query', ['-W', field('db:Status-Status'), PKG]);
  return r.code === 0 && r.out.trim() !== 'not-installed' && r.out.trim() !== '';
}

/** dpkg with its lock busy (another apt on this machine) retries for up to a minute. */
async function dpkg(args: string[]): Promise<string> {
  for (let i = 0; ; i++) {
    const r = await run('dpkg', args);
    if (r.code === 0) return r.out + r.err;
    if (!/lock/i.test(r.err) || i >= 30)
      throw new Error(`dpkg ${args.join(' ')} exited ${r.code}:\n${r.out}${r.err}`);
    await new Promise((res) => setTimeout(res, 2000));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(why)('Debian package (npm run deb)', () => {
  const out = mkdtempSync(join(tmpdir(), `vrrpd-deb-${process.pid}-`));
  let deb = '';
  let listed: string[] = [];
  // set once we know the package was not installed before: only then may afterAll purge it
  let ours = false;

  beforeAll(async () => {
    if (!existsSync(BUILDER)) throw new Error(`${BUILDER} is missing: run 'npm run build' first`);
    // Never replace (and later purge) a vrrpd the machine had before this test.
    if (await installed())
      throw new Error(`the ${PKG} package is already installed here; remove it (dpkg --purge ${PKG}) first`);
    ours = true;
  });

  afterAll(async () => {
    try {
      if (ours && (await installed())) await dpkg(['--purge', PKG]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('builds with one command, in seconds', async () => {
    const t0 = performance.now();
    const log = await ok(process.execPath, [BUILDER, '--out', out], { timeoutMs: 180_000 });
    const debs = readdirSync(out).filter((f) => f.endsWith('.deb'));
    expect(debs, log).toHaveLength(1);
    expect(debs[0]).toMatch(/^vrrpd_\d+\.\d+\.\d+-\d+_[a-z0-9]+\.deb$/);
    deb = join(out, debs[0]!);
    console.log(`${log.trim()} (${((performance.now() - t0) / 1000).toFixed(1)} s with node start)`);
    const fields = await ok('dpkg-deb', ['-f', deb, 'Package', 'Depends', 'Installed-Size']);
    expect(fields).toMatch(/nodejs \(>= 20\)/);
    const contents = await ok('dpkg-deb', ['-c', deb]);
    for (const p of [
      './usr/lib/vrrpd/main.js',
      './usr/lib/vrrpd/vrrp/worker.js',
      './usr/lib/vrrpd/http-worker.js',
      './usr/lib/vrrpd/vrrpd_native.node',
      './usr/bin/vrrpd -> ../lib/vrrpd/main.js',
      './lib/systemd/system/vrrpd.service',
      './usr/lib/sysusers.d/vrrpd.conf',
      './usr/lib/tmpfiles.d/vrrpd.conf',
      './etc/vrrpd/vrrpd.yaml',
      './usr/share/man/man8/vrrpd.8.gz',
      './usr/share/man/man5/vrrpd.yaml.5.gz',
      './usr/share/bash-completion/completions/vrrpd',
      './usr/share/doc/vrrpd/copyright',
      './usr/share/doc/vrrpd/changelog.Debian.gz',
    ])
      expect(contents).toContain(p);
    expect(await ok('dpkg-deb', ['-f', deb, 'Package'])).toBe('vrrpd\n');
  });

  it('lintian: no errors (warnings and notes listed)', async () => {
    const r = await run(
      'lintian',
      ['--info', '--pedantic', '--display-info', '--no-tag-display-limit', deb],
      {
        timeoutMs: 240_000,
      },
    );
    const tags = (r.out + r.err).split('\n').filter((l) => /^[EWIPX]: /.test(l));
    console.log(`lintian:\n${tags.join('\n') || '(clean)'}`);
    expect(
      tags.filter((l) => l.startsWith('E: ')),
      r.out + r.err,
    ).toEqual([]);
    // lintian exits 1 on errors only (and 2 when it could not run at all)
    expect(r.code, r.err).toBe(0);
  });

  it('installs; /usr/bin/vrrpd --version and check-config of the shipped conffile work', async () => {
    await dpkg(['-i', deb]);
    // every path the package installed ("/." is the root itself)
    listed = (await ok('dpkg', ['-L', PKG])).split('\n').filter((l) => l.startsWith('/') && l !== '/.');
    expect(listed).toContain('/usr/lib/vrrpd/main.js');
    const version = (await ok('dpkg-query', ['-W', field('Version'), PKG])).trim();
    expect((await ok('/usr/bin/vrrpd', ['--version'])).trim()).toBe(version.replace(/-[^-]+$/, ''));
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
    expect(await ok('vrrpd', ['check-config', '/etc/vrrpd/vrrpd.yaml'], { env })).toMatch(/OK/);
    expect(await ok('dpkg-query', ['-W', field('Conffiles'), PKG])).toContain('/etc/vrrpd/vrrpd.yaml');
    // the observability kit ships with it, and the installed rules pass promtool
    expect(listed).toContain('/usr/share/vrrpd/grafana/vrrpd-dashboard.json');
    expect(await ok('promtool', ['check', 'rules', '/usr/share/vrrpd/prometheus/vrrpd-alerts.yml'])).toMatch(
      /SUCCESS/,
    );
    // postinst: the system user, the state directory, the config readable by the daemon only
    expect(await ok('getent', ['passwd', 'vrrpd'])).toMatch(/^vrrpd:x:\d+:\d+:.*:\/usr\/sbin\/nologin$/m);
    expect(statSync('/var/lib/vrrpd').isDirectory()).toBe(true);
    expect(await ok('stat', ['-c', '%U:%G %a', '/var/lib/vrrpd', '/etc/vrrpd/vrrpd.yaml'])).toBe(
      'vrrpd:vrrpd 755\nroot:vrrpd 640\n',
    );
    // the service is installed but neither enabled nor started
    expect(existsSync('/etc/systemd/system/multi-user.target.wants/vrrpd.service')).toBe(false);
  });

  it('reinstalling (the upgrade path) keeps an edited conffile and its mode', async () => {
    const conf = '/etc/vrrpd/vrrpd.yaml';
    appendFileSync(conf, '# edited by the operator\n');
    chmodSync(conf, 0o600);
    await dpkg(['-i', deb]);
    expect(readFileSync(conf, 'utf8')).toContain('# edited by the operator');
    expect(await ok('stat', ['-c', '%U:%G %a', conf])).toBe('root:vrrpd 600\n');
    chmodSync(conf, 0o640);
  });

  it('systemd-analyze verify accepts the installed unit', async () => {
    const r = await run('systemd-analyze', ['verify', '/lib/systemd/system/vrrpd.service']);
    const lines = (r.out + r.err).split('\n').filter((l) => l.includes('vrrpd'));
    expect(lines, r.out + r.err).toEqual([]);
    expect(r.code, r.out + r.err).toBe(0);
  });

  it('man pages render without warnings and cover every command and key', async () => {
    const env = { ...process.env, MANWIDTH: '80', LC_ALL: 'C.UTF-8', MAN_KEEP_FORMATTING: '' };
    for (const page of ['/usr/share/man/man8/vrrpd.8.gz', '/usr/share/man/man5/vrrpd.yaml.5.gz']) {
      const r = await run('man', ['--warnings', '-l', page], { env });
      expect(r.err, page).toBe('');
      expect(r.code).toBe(0);
    }
    const eight = await ok('man', ['-l', '/usr/share/man/man8/vrrpd.8.gz'], { env });
    for (const cmd of ['run', 'status', 'reload', 'check-config', 'import-keepalived', 'lab'])
      expect(eight).toContain(`vrrpd ${cmd}`);
    const five = await ok('man', ['-l', '/usr/share/man/man5/vrrpd.yaml.5.gz'], { env });
    expect(five).toContain('vrrp_instances[].priority (integer; 1 to 255; default: 100)');
    // the pages are found by name too (man-db's index)
    expect(await ok('man', ['-w', '8', 'vrrpd'])).toContain('/usr/share/man/man8/vrrpd.8.gz');
  });

  it('bash completion completes commands, options and files', async () => {
    const complete = async (...words: string[]) => {
      const script = `source /usr/share/bash-completion/completions/vrrpd
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_vrrpd; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await ok('bash', ['-c', script])).split('\n').filter(Boolean).sort();
    };
    expect(await complete('vrrpd', 'st')).toEqual(['status']);
    expect(await complete('vrrpd', 'status', '--')).toEqual(['--help', '--json', '--socket', '--watch']);
    expect(await complete('vrrpd', 'run', '-c', '/etc/vrrpd/vrr')).toEqual(['/etc/vrrpd/vrrpd.yaml']);
    expect(await complete('vrrpd', 'check-config', '/etc/vrrpd/')).toEqual(['/etc/vrrpd/vrrpd.yaml']);
  });

  it('the installed daemon runs as the vrrpd user with two capabilities and becomes MASTER', async () => {
    // As the unit runs it (User=vrrpd, AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW), here
    // through setpriv since PID 1 need not be systemd: proves the bundle, its worker thread
    // and the addon load from /usr/lib/vrrpd, and the installed user and modes fit.
    let topo: Topology | undefined;
    const dir = mkdtempSync(join(tmpdir(), `vrrpd-deb-run-${process.pid}-`));
    try {
      topo = await createTopology({ hosts: ['r1'] });
      chmodSync(dir, 0o755);
      const runDir = join(dir, 'run');
      mkdirSync(runDir);
      await ok('chown', ['vrrpd:vrrpd', runDir]);
      const socket = join(runDir, 'vrrpd.sock');
      const file = join(dir, 'r1.yaml');
      writeFileSync(
        file,
        stringify({
          global: { router_id: 'r1', control_socket: socket },
          vrrp_instances: [
            {
              name: 'VI',
              interface: 'eth0',
              vrid: 51,
              advert_interval: '100ms',
              virtual_ips: ['192.0.2.50/24'],
            },
          ],
        }),
      );
      await ok('chown', ['root:vrrpd', file]);
      chmodSync(file, 0o640);
      // A clean environment: nothing may point the package at the checkout's addon.
      const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
      const caps = '+net_admin,+net_raw';
      const argv = ['/usr/bin/vrrpd', 'run', '-c', file];
      const asUser = ['setpriv', '--reuid=vrrpd', '--regid=vrrpd', '--clear-groups'];
      const child = topo.spawn('r1', [...asUser, `--inh-caps=${caps}`, `--ambient-caps=${caps}`, ...argv], {
        env,
      });
      let logs = '';
      child.stdout?.on('data', (d: Buffer) => {
        logs += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        logs += d.toString();
      });
      let state = '';
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && child.exitCode === null) {
        const r = await run('/usr/bin/vrrpd', ['status', '--json', '-s', socket], { env });
        if (r.code === 0) {
          const doc = JSON.parse(r.out) as { instances: { name: string; state: string }[] };
          state = doc.instances.find((i) => i.name === 'VI')?.state ?? '';
          if (state === 'master') break;
        }
        await sleep(200);
      }
      expect(state, logs).toBe('master');
      const addrs = await topo.exec('r1', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      expect(addrs.stdout).toContain('192.0.2.50/24');
      // the table view of the installed CLI too
      expect(await ok('/usr/bin/vrrpd', ['status', '-s', socket], { env })).toMatch(/VI/);
      await topo.kill(child, 10_000);
    } finally {
      await topo?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vrrpd lab runs from the package (the bundle starts its own directors)', async () => {
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
    const log = await ok('/usr/bin/vrrpd', ['lab', '--steps', 'election'], { env, timeoutMs: 120_000 });
    expect(log).toMatch(/d1 is MASTER and d2 is BACKUP/);
  });

  it('dpkg --purge leaves nothing behind, also after an operator enabled the service', async () => {
    expect(listed.length).toBeGreaterThan(10);
    const wants = '/etc/systemd/system/multi-user.target.wants/vrrpd.service';
    await ok('systemctl', ['enable', 'vrrpd.service']);
    expect(lstatSync(wants).isSymbolicLink()).toBe(true);
    await dpkg(['--purge', PKG]);
    expect(lstatSync(wants, { throwIfNoEntry: false }), wants).toBeUndefined();
    expect(await installed()).toBe(false);
    const left = listed.filter((p) => {
      try {
        lstatSync(p);
        return true;
      } catch {
        return false;
      }
    });
    // Directories other packages also own (/usr/share/man/man8, ...) rightly stay; with
    // merged /usr, /lib is a link to one.
    const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
    expect(left.filter((p) => !isDir(p))).toEqual([]);
    const dirs = left.filter(isDir);
    const owners = dirs.length > 0 ? (await run('dpkg-query', ['-S', ...dirs])).out : '';
    const owned = new Set(owners.split('\n').map((l) => l.slice(l.indexOf(': ') + 2)));
    expect(dirs.filter((d) => !owned.has(d))).toEqual([]);
    for (const p of ['/etc/vrrpd', '/var/lib/vrrpd', '/run/vrrpd']) expect(existsSync(p), p).toBe(false);
    expect((await run('getent', ['passwd', 'vrrpd'])).code).not.toBe(0);
    expect((await run('getent', ['group', 'vrrpd'])).code).not.toBe(0);
    expect(existsSync('/var/lib/systemd/deb-systemd-helper-enabled/vrrpd.service.dsh-also')).toBe(false);
  });
});
