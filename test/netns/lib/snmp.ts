// net-snmp's snmpd (AgentX master) and snmptrapd for the SNMP tests, run inside one host
// namespace of a lab on that namespace's own loopback; the AgentX socket is a path in the
// lab's temp dir (reachable from every namespace). Started through the lab's topology, so
// the lab's cleanup() stops them by PID.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Lab, until } from './vrrpd.js';

export const SNMPD_PORT = 16161;
export const TRAP_PORT = 16162;

/** One varbind as snmpwalk/snmptrapd print it with -On: `.1.3... = TYPE: value`. */
export interface Printed {
  oid: string;
  type: string;
  value: string;
}

export function parseVarbinds(text: string, sep: RegExp = /\n/): Printed[] {
  const out: Printed[] = [];
  for (const part of text.split(sep)) {
    const m = /^\s*(\.[\d.]+) = (?:([\w-]+): )?(.*?)\s*$/.exec(part);
    if (m) out.push({ oid: m[1]!, type: m[2] ?? '', value: m[3]! });
  }
  return out;
}

export class SnmpEngines {
  readonly agentx: string;
  private snmpd: ChildProcess | null = null;
  /** snmptrapd's output, one trap per line (`trap ` + tab-separated varbinds) */
  private trapText = '';
  snmpdLog = '';
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly lab: Lab,
    private readonly host: string,
  ) {
    const dir = join(lab.dir, 'snmp');
    mkdirSync(join(dir, 'persist'), { recursive: true });
    mkdirSync(join(dir, 'mibs'), { recursive: true });
    this.agentx = join(dir, 'agentx');
    // no MIB files: numeric OIDs only, and none of the noise about missing modules;
    // persistent state in the test's own directory instead of /var/lib/snmp
    this.env = {
      ...process.env,
      MIBS: '',
      MIBDIRS: join(dir, 'mibs'),
      SNMP_PERSISTENT_DIR: join(dir, 'persist'),
    };
    writeFileSync(
      join(dir, 'snmpd.conf'),
      [
        'master agentx',
        `agentXSocket unix:${this.agentx}`,
        `agentaddress udp:127.0.0.1:${SNMPD_PORT}`,
        'rocommunity public 127.0.0.1',
        `trap2sink 127.0.0.1:${TRAP_PORT} public`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'snmptrapd.conf'), 'disableAuthorization yes\n');
  }

  private get dir(): string {
    return join(this.lab.dir, 'snmp');
  }

  async startTrapd(): Promise<void> {
    const child = this.lab.topo.spawn(
      this.host,
      [
        'snmptrapd',
        '-f',
        '-Lo',
        '-C',
        '-c',
        join(this.dir, 'snmptrapd.conf'),
        '-On',
        '-F',
        'trap %v\n',
        `udp:127.0.0.1:${TRAP_PORT}`,
      ],
      { env: this.env },
    );
    child.stdout?.on('data', (d: Buffer) => {
      this.trapText += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.trapText += d.toString();
    });
    await until(async () => this.trapText.includes('NET-SNMP version'), 10_000, 'snmptrapd to start');
  }

  async startSnmpd(): Promise<void> {
    const child = this.lab.topo.spawn(
      this.host,
      ['snmpd', '-f', '-Lo', '-C', '-c', join(this.dir, 'snmpd.conf')],
      { env: this.env },
    );
    this.snmpd = child;
    let out = '';
    const take = (d: Buffer) => {
      out += d.toString();
      this.snmpdLog += d.toString();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`snmpd exited ${child.exitCode}: ${out}`);
        return out.includes('NET-SNMP version');
      },
      10_000,
      'snmpd to start',
    );
  }

  /** Stops snmpd by PID (SIGTERM, then SIGKILL after 3 s). */
  async stopSnmpd(): Promise<void> {
    if (this.snmpd) await this.lab.topo.kill(this.snmpd, 3000);
    this.snmpd = null;
  }

  /** snmpwalk -v2c of a subtree through snmpd; [] when nothing is there. */
  async walk(oid: string): Promise<Printed[]> {
    const r = await this.lab.topo.exec(
      this.host,
      [
        'env',
        'MIBS=',
        `MIBDIRS=${join(this.dir, 'mibs')}`,
        'snmpwalk',
        '-v2c',
        '-c',
        'public',
        '-On',
        '-Ot',
        `127.0.0.1:${SNMPD_PORT}`,
        oid,
      ],
      { allowFail: true, timeoutMs: 20_000 },
    );
    if (r.code !== 0) throw new Error(`snmpwalk failed (${r.code}): ${r.stderr}${r.stdout}`);
    return parseVarbinds(r.stdout).filter((v) => v.oid.startsWith(`.${oid}.`));
  }

  /** Traps received so far, each as its varbinds. */
  traps(): Printed[][] {
    return this.trapText
      .split('\n')
      .filter((l) => l.startsWith('trap '))
      .map((l) => parseVarbinds(l.slice(5), /\t/));
  }

  /** Traps whose snmpTrapOID.0 is `trapOid` (numeric, without the leading dot). */
  trapsOf(trapOid: string): Printed[][] {
    return this.traps().filter((t) =>
      t.some((v) => v.oid === '.1.3.6.1.6.3.1.1.4.1.0' && v.value === `.${trapOid}`),
    );
  }
}
