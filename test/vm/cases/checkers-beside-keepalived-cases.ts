// Runs INSIDE the real-IPVS environment (guest, or a fresh host netns), started by
// test/vm/checkers-beside-keepalived.test.ts: one keepalived.conf with a DNS_CHECK, an
// SMTP_CHECK, two UDP_CHECKs, a PING_CHECK and a FILE_CHECK, run by keepalived 2.2.7's
// checker; the same file through `vrrpd import-keepalived` (virtual address changed) run by
// vrrpd. Real servers on 198.51.100.2 (lo): dnsmasq, aiosmtpd, a UDP echo, a closed UDP port,
// ICMP echo, a track file. Phase "start": both settle; phase "faults": dnsmasq stopped, the
// track file set to 1, the echo closed. Each daemon's lvs_notify_fifo lines of each phase,
// with the addresses made generic, go to $VM_SHARE/results.json.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO } from '../guest.js';

const share = process.env.VM_SHARE ?? '.';
const dir = mkdtempSync(join(tmpdir(), 'vrrpd-chk-'));
const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const problems: string[] = [];
const children: ChildProcess[] = [];
const RS = '198.51.100.2';

function start(cmd: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

/** A FIFO reader: the text, and when (Date.now) each line arrived. */
function reader(path: string): { text: string; at: Map<string, number> } {
  const r = { text: '', at: new Map<string, number>() };
  const c = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(c);
  c.stdout?.on('data', (d: Buffer) => {
    const now = Date.now();
    r.text += d.toString();
    for (const l of r.text.split('\n')) if (l && !r.at.has(l)) r.at.set(l, now);
  });
  return r;
}

const lines = (r: { text: string }) => r.text.split('\n').filter(Boolean);
const generic = (l: string) => l.replace(/192\.0\.2\.6[01]/g, 'VIP');

async function waitFor(what: string, fn: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) {
      problems.push(`timed out waiting for ${what}`);
      return;
    }
    await sleep(100);
  }
}

const KA_CONF = (fifo: string, trackFile: string) => `global_defs {
  router_id ka
  lvs_notify_fifo ${fifo}
}
track_file drain {
  file ${trackFile}
  weight 0
}
virtual_server 192.0.2.60 53 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server ${RS} 53 {
    DNS_CHECK {
      type A
      name name.test
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 192.0.2.60 25 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 25 {
    SMTP_CHECK {
      helo_name director.test
      connect_timeout 2
      retry 0
    }
  }
}
virtual_server 192.0.2.60 7001 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server ${RS} 7001 {
    UDP_CHECK {
      payload 0102
      require_reply ca fe
      min_reply_length 2
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 192.0.2.60 7002 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server ${RS} 7002 {
    UDP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 192.0.2.60 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 80 {
    PING_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 192.0.2.60 8080 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 8080 {
    FILE_CHECK {
      track_file drain
    }
  }
}
`;

async function main(): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  execFileSync('ip', ['addr', 'add', `${RS}/32`, 'dev', 'lo']);
  const dns = start('/usr/sbin/dnsmasq', [
    '-k',
    '-p',
    '53',
    `--listen-address=${RS}`,
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--conf-file=/dev/null',
    '--pid-file=',
    '--user=',
    '--address=/name.test/192.0.2.9',
  ]);
  start('/usr/bin/python3', ['-u', '-m', 'aiosmtpd', '-n', '-l', `${RS}:25`]);
  const echo = dgram.createSocket('udp4');
  echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from([0xca, 0xfe]), m]), r.port, r.address));
  await new Promise<void>((r) => echo.bind(7001, RS, r));
  const trackFile = join(dir, 'drain');
  writeFileSync(trackFile, '0\n');
  await sleep(1500); // dnsmasq and aiosmtpd up

  const kaFifo = join(dir, 'ka.fifo');
  const vdFifo = join(dir, 'vd.fifo');
  execFileSync('mkfifo', [kaFifo]);
  const kaConf = join(dir, 'keepalived.conf');
  writeFileSync(kaConf, KA_CONF(kaFifo, trackFile));
  // the same file through the importer, on another virtual address
  const imported = execFileSync(process.execPath, [MAIN_JS, 'import-keepalived', kaConf], {
    encoding: 'utf8',
  });
  const doc = parse(imported.replaceAll('192.0.2.60', '192.0.2.61')) as Record<
    string,
    Record<string, unknown>
  >;
  doc.global = {
    ...doc.global,
    lvs_notify_fifo: vdFifo,
    control_socket: join(dir, 'vrrpd.sock'),
    state_file: join(dir, 'owned.json'),
  };
  const vdConf = join(dir, 'vrrpd.yaml');
  writeFileSync(vdConf, stringify(doc));

  const kaR = reader(kaFifo);
  const ka = start('keepalived', [
    '--check',
    '--dont-fork',
    '--log-console',
    '--dont-respawn',
    '-f',
    kaConf,
    '-p',
    join(dir, 'ka.pid'),
    '-c',
    join(dir, 'ka-check.pid'),
  ]);
  const vd = start(process.execPath, [MAIN_JS, 'run', '-c', vdConf]);
  await waitFor(
    'the vrrpd FIFO',
    () => {
      try {
        execFileSync('test', ['-p', vdFifo]);
        return true;
      } catch {
        return false;
      }
    },
    15_000,
  );
  const vdR = reader(vdFifo);
  await sleep(8000);
  const startKa = lines(kaR).map(generic);
  const startVd = lines(vdR).map(generic);
  const faultAt = Date.now();
  process.kill(dns.child.pid!, 'SIGTERM');
  writeFileSync(trackFile, '1\n');
  echo.close();
  await sleep(8000);
  // time from the faults to each daemon's RS DOWN line (bench/checkers-beside-keepalived.ts)
  const detect = (r: { at: Map<string, number> }) =>
    Object.fromEntries(
      [...r.at]
        .filter(([l, t]) => t >= faultAt && l.startsWith('RS ') && l.endsWith(' DOWN'))
        .map(([l, t]) => [generic(l), t - faultAt]),
    );
  writeFileSync(
    join(share, 'results.json'),
    JSON.stringify({
      start: { keepalived: startKa, vrrpd: startVd },
      faults: {
        keepalived: lines(kaR).map(generic).slice(startKa.length),
        vrrpd: lines(vdR).map(generic).slice(startVd.length),
      },
      detectMs: { keepalived: detect(kaR), vrrpd: detect(vdR) },
      problems,
      imported,
      logs: { keepalived: ka.out().slice(-4000), vrrpd: vd.out().slice(-4000) },
    }),
  );
}

try {
  await main();
} catch (e) {
  problems.push(String((e as Error).stack ?? e));
  writeFileSync(join(share, 'results.json'), JSON.stringify({ problems }));
} finally {
  for (const c of children.reverse()) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
  await sleep(500);
  try {
    execFileSync('ipvsadm', ['-C']);
  } catch {
    // nothing to clear
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
