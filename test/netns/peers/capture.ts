// Packet captures in an observer namespace (tcpdump, nanosecond pcap) and the tshark check
// that peer tests apply to our adverts: every one decodes as VRRP with no expert info and
// with the checksum shown as [correct] (v2: RFC 3768 §5.3.8; v3: RFC 5798 §5.2.8 with the
// pseudo-header).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Topology } from '../../helpers/netns.js';
import { collectOutput, exited, signalPid, waitExit, waitFor } from './router.js';

const execFileP = promisify(execFile);

export interface Capture {
  readonly file: string;
  /** Stops tcpdump (SIGINT, so it flushes) and resolves when the file is complete. */
  stop(): Promise<void>;
}

/** Starts tcpdump on the host's eth0 and resolves once it is listening. */
export async function startCapture(
  topo: Topology,
  host: string,
  file: string,
  filter: string,
): Promise<Capture> {
  const child = topo.spawn(host, [
    'tcpdump',
    '-i',
    topo.host(host).ifname,
    '-w',
    file,
    '-U',
    '-s',
    '0',
    '-n',
    '--immediate-mode',
    '--time-stamp-precision=nano',
    // tcpdump drops to user tcpdump after opening; -Z root keeps the file ours to read and move.
    '-Z',
    'root',
    filter,
  ]);
  const out = collectOutput(child);
  await waitFor(
    () => exited(child) || out().includes('listening on'),
    10_000,
    () => `tcpdump on ${host} to listen:\n${out()}`,
  );
  if (exited(child)) throw new Error(`tcpdump on ${host} exited:\n${out()}`);
  return {
    file,
    async stop() {
      if (exited(child)) return;
      signalPid(child.pid ?? 0, 'SIGINT');
      await waitExit(child, 5000).catch(() => topo.kill(child, 1000));
    },
  };
}

export interface AdvertDecode {
  /** Frames matched by the display filter. */
  frames: number;
  versions: number[];
  priorities: number[];
  /** Frames whose VRRP checksum tshark did not show as [correct]. */
  badChecksums: number;
  /** Every "Expert Info" line tshark printed for the matched frames. */
  expertInfo: string[];
  /** The full tshark -V text, for failure messages. */
  text: string;
}

/** `tshark -r FILE -Y "vrrp && (extra)" -V`, parsed per frame. */
export async function decodeAdverts(file: string, extraFilter: string): Promise<AdvertDecode> {
  const r = await execFileP('tshark', ['-r', file, '-Y', `vrrp && (${extraFilter})`, '-V'], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  const text = r.stdout;
  const blocks = text.split(/^(?=Frame \d+: )/m).filter((b) => b.startsWith('Frame '));
  const out: AdvertDecode = {
    frames: blocks.length,
    versions: [],
    priorities: [],
    badChecksums: 0,
    expertInfo: [],
    text,
  };
  for (const b of blocks) {
    const vrrp = b.slice(b.indexOf('Virtual Router Redundancy Protocol'));
    const ver = /VRRP protocol version: (\d+)/.exec(vrrp);
    const prio = /Priority: (\d+)/.exec(vrrp);
    if (ver?.[1]) out.versions.push(Number(ver[1]));
    if (prio?.[1]) out.priorities.push(Number(prio[1]));
    if (!/Checksum: 0x[0-9a-f]{4} \[correct\]/.test(vrrp)) out.badChecksums++;
    for (const line of b.split('\n')) if (line.includes('Expert Info')) out.expertInfo.push(line.trim());
  }
  return out;
}

/** The MAC address of the host's eth0 (to pick out one router's frames in a capture). */
export async function macOf(topo: Topology, host: string): Promise<string> {
  const r = await topo.exec(host, ['cat', `/sys/class/net/${topo.host(host).ifname}/address`]);
  return r.stdout.trim();
}
