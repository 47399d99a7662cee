// What `vrrpd lab` needs from the machine, checked before it creates anything: Linux, the
// privileges to create network namespaces, `ip` from iproute2 on PATH (with `ip netns` and
// `ip -j`), kernel support for network namespaces, veth, bridges and IPv6, the native addon
// and the built CLI. probeLabFacts() looks (cheaply, read-only); labProblems() is the pure
// judgement over what was seen, one problem per missing piece, each with what to do.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const execFileP = promisify(execFile);

/** yes: present; no: definitely absent; unknown: nothing cheap to tell by (then we try). */
export type Support = 'yes' | 'no' | 'unknown';

export interface LabFacts {
  platform: string;
  /** effective uid, null where there is none */
  euid: number | null;
  /** CapEff and CapAmb of this process (/proc/self/status), null when unreadable */
  capEff: bigint | null;
  capAmb: bigint | null;
  /** PATH as searched, and where `ip` was found on it (null: not found) */
  path: string;
  ipPath: string | null;
  /** error text of `ip netns list` (null: it worked, or ip was not found) */
  ipNetnsError: string | null;
  /** error text of `ip -j link show dev lo` parsed as JSON (null: worked, or ip not found) */
  ipJsonError: string | null;
  kernel: { netns: Support; veth: Support; bridge: Support; ipv6: Support };
  /** error text of loading the native addon (null: loaded) */
  addonError: string | null;
  /** error text of finding the built CLI (null: found) */
  buildError: string | null;
}

export interface LabProblem {
  what: string;
  fix: string;
}

// capability numbers (linux/capability.h)
const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;
const CAP_SYS_ADMIN = 21;
const NEEDED_CAPS: [number, string][] = [
  [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN'],
  [CAP_NET_ADMIN, 'CAP_NET_ADMIN'],
  [CAP_NET_RAW, 'CAP_NET_RAW'],
];
const INSTALL_IPROUTE2 =
  'install iproute2 (Debian/Ubuntu: apt-get install iproute2; Fedora/RHEL: dnf install iproute; Alpine: apk add iproute2)';

/** Capabilities among those the lab needs that `caps` lacks, by name. */
export function missingCaps(caps: bigint): string[] {
  return NEEDED_CAPS.filter(([bit]) => (caps & (1n << BigInt(bit))) === 0n).map(([, name]) => name);
}

/** Every missing prerequisite, in the order a person would fix them; [] when all is there. */
export function labProblems(f: LabFacts): LabProblem[] {
  if (f.platform !== 'linux')
    return [
      {
        what: `this is ${f.platform}, not Linux`,
        fix: 'run the lab on Linux: it builds network namespaces, veth pairs and a bridge',
      },
    ];
  const out: LabProblem[] = [];
  // The programs the lab starts (ip, node in each namespace) get the whole capability set
  // when root; a non-root user passes on only its ambient capabilities.
  const childCaps = f.euid === 0 ? f.capEff : f.capAmb;
  const lacking = childCaps === null ? (f.euid === 0 ? [] : ['root']) : missingCaps(childCaps);
  if (lacking.length > 0) {
    if (f.euid !== 0)
      out.push({
        what: `not running as root (uid ${f.euid ?? '?'})`,
        fix: 'run it as root, e.g. sudo vrrpd lab (it creates network namespaces: CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_NET_RAW)',
      });
    else
      out.push({
        what: `running as root but without ${lacking.join(', ')} (a restricted container?)`,
        fix: 'run it on the host, or in a container given those capabilities (e.g. docker run --privileged)',
      });
  }
  if (f.ipPath === null)
    out.push({ what: `ip (iproute2) not found on PATH (${f.path || 'empty'})`, fix: INSTALL_IPROUTE2 });
  else if (f.ipNetnsError !== null)
    out.push({
      what: `${f.ipPath} cannot do \`ip netns\` (${f.ipNetnsError}); it is not iproute2's ip (busybox?) or too old`,
      fix: INSTALL_IPROUTE2,
    });
  else if (f.ipJsonError !== null)
    out.push({
      what: `${f.ipPath} has no JSON output (\`ip -j\`: ${f.ipJsonError}); this iproute2 is too old`,
      fix: `${INSTALL_IPROUTE2}, a release from 2018 or later`,
    });
  const k = f.kernel;
  const kernelPieces: [Support, string, string][] = [
    [k.netns, 'network namespaces', 'NET_NS=y'],
    [k.veth, 'veth driver', 'VETH=y or =m'],
    [k.bridge, 'bridge driver', 'BRIDGE=y or =m'],
  ];
  for (const [support, piece, option] of kernelPieces)
    if (support === 'no')
      out.push({
        what: `the kernel has no ${piece} (CONFIG_${option.split('=')[0]})`,
        fix: `use a kernel built with CONFIG_${option} (distribution kernels have it)`,
      });
  if (k.ipv6 === 'no')
    out.push({
      what: 'IPv6 is off in this kernel (no /proc/sys/net/ipv6)',
      fix: 'boot without ipv6.disable=1: the lab moves an IPv6 VIP too',
    });
  if (f.buildError !== null) out.push({ what: f.buildError, fix: "run 'npm run build'" });
  if (f.addonError !== null)
    out.push({
      what: `the native addon does not load (${f.addonError})`,
      fix: "build it: 'npm ci' or 'npm run build:native' (needs python3, make and a C++ compiler)",
    });
  return out;
}

/** The lab's message for a list of problems (several lines, no trailing newline). */
export function formatProblems(ps: LabProblem[]): string {
  return [
    `cannot run the lab: ${ps.length === 1 ? 'a prerequisite is' : `${ps.length} prerequisites are`} missing (nothing was created)`,
    ...ps.map((p) => `  - ${p.what}: ${p.fix}`),
  ].join('\n');
}

/**
 * Where an executable `cmd` is on pathEnv, as execFile would find it (an unset PATH is
 * searched as /usr/bin:/bin), or null.
 */
export function findOnPath(
  cmd: string,
  pathEnv: string | undefined,
  isExecutable: (p: string) => boolean = canExecute,
): string | null {
  for (const dir of (pathEnv ?? '/usr/bin:/bin').split(delimiter)) {
    if (!isAbsolute(dir)) continue; // '' or '.' entries: never run what the cwd happens to hold
    const p = join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return null;
}

function canExecute(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What the kernel's build configuration says about CONFIG_<name>: 'yes' for =y/=m, else 'no'. */
export function configOption(config: string, name: string): Support {
  const m = new RegExp(`^CONFIG_${name}=([a-z0-9]+)$`, 'm').exec(config);
  return m && (m[1] === 'y' || m[1] === 'm') ? 'yes' : 'no';
}

export interface ModuleEvidence {
  /** the kernel's configuration text (/proc/config.gz, /boot/config-<release>), if readable */
  config: string | null;
  /** /sys/module/<module> exists (loaded, or built in with parameters) */
  loaded: boolean;
  /** /lib/modules/<release>/modules.builtin and modules.dep, if readable */
  builtinList: string | null;
  depList: string | null;
}

/** Whether the kernel has a driver (CONFIG_<option>, module <module>.ko) from the evidence. */
export function driverSupport(option: string, module: string, e: ModuleEvidence): Support {
  if (e.config !== null) return configOption(e.config, option);
  if (e.loaded) return 'yes';
  const listed = (text: string | null) => text !== null && new RegExp(`/${module}\\.ko\\b`).test(text);
  if (listed(e.builtinList) || listed(e.depList)) return 'yes';
  // only both lists together say for certain that the kernel has no such driver
  return e.builtinList !== null && e.depList !== null ? 'no' : 'unknown';
}

function readText(p: string): string | null {
  try {
    const raw = readFileSync(p);
    return p.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  } catch {
    return null;
  }
}

function statusCaps(status: string | null, field: string): bigint | null {
  const m = status === null ? null : new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status);
  return m?.[1] ? BigInt(`0x${m[1]}`) : null;
}

function errText(e: unknown): string {
  const err = e as { stderr?: string; message?: string; code?: unknown };
  const text = (typeof err.stderr === 'string' && err.stderr.trim()) || err.message || String(e);
  return text.split('\n')[0] ?? text;
}

/** Looks at this machine (read-only, nothing created). */
export async function probeLabFacts(opts: {
  env?: NodeJS.ProcessEnv;
  /** throws when the native addon does not load */
  loadAddon: () => void;
  /** throws when the built CLI is missing */
  findBuild: () => void;
}): Promise<LabFacts> {
  const env = opts.env ?? process.env;
  const path = env.PATH ?? '';
  const status = readText('/proc/self/status');
  const ipPath = findOnPath('ip', env.PATH);
  let ipNetnsError: string | null = null;
  let ipJsonError: string | null = null;
  if (ipPath !== null) {
    const run = (args: string[]) => execFileP(ipPath, args, { timeout: 10_000, env });
    await run(['netns', 'list']).catch((e) => {
      ipNetnsError = errText(e);
    });
    await run(['-j', 'link', 'show', 'dev', 'lo'])
      .then((r) => JSON.parse(r.stdout))
      .catch((e) => {
        ipJsonError = errText(e);
      });
  }
  const rel = release();
  const config = readText('/proc/config.gz') ?? readText(`/boot/config-${rel}`);
  const builtinList = config === null ? readText(`/lib/modules/${rel}/modules.builtin`) : null;
  const depList = config === null ? readText(`/lib/modules/${rel}/modules.dep`) : null;
  const evidence = (module: string): ModuleEvidence => ({
    config,
    loaded: existsSync(`/sys/module/${module}`),
    builtinList,
    depList,
  });
  const attempt = (f: () => void): string | null => {
    try {
      f();
      return null;
    } catch (e) {
      return errText(e);
    }
  };
  return {
    platform: process.platform,
    euid: typeof process.geteuid === 'function' ? process.geteuid() : null,
    capEff: statusCaps(status, 'CapEff'),
    capAmb: statusCaps(status, 'CapAmb'),
    path,
    ipPath,
    ipNetnsError,
    ipJsonError,
    kernel: {
      netns:
        config !== null ? configOption(config, 'NET_NS') : existsSync('/proc/self/ns/net') ? 'unknown' : 'no',
      veth: driverSupport('VETH', 'veth', evidence('veth')),
      bridge: driverSupport('BRIDGE', 'bridge', evidence('bridge')),
      ipv6: existsSync('/proc/sys/net/ipv6') ? 'yes' : 'no',
    },
    addonError: attempt(opts.loadAddon),
    buildError: attempt(opts.findBuild),
  };
}
