// Loads the compiled addon (native/build/Release/vrrpd_native.node) and types its raw surface.
// Loading is lazy, so modules that merely import src/native/ work where the addon isn't built.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** JS shapes of socket addresses, one per family (see native/src/sockaddr.h). */
export type SockAddr =
  | { address: string; port?: number; scopeId?: number }
  | { nlPid: number; nlGroups?: number }
  | { path: string }
  | { ifindex: number; protocol?: number; mac?: Buffer };

/** A received datagram as the addon reports it. */
export interface RawDatagram {
  data: Buffer;
  /** sender: {address, port, scopeId?} | {nlPid, nlGroups} | {ifindex, protocol, pkttype, mac} | {path} */
  from: {
    address?: string;
    scopeId?: number;
    nlPid?: number;
    nlGroups?: number;
    ifindex?: number;
    protocol?: number;
    pkttype?: number;
    mac?: Buffer;
    path?: string;
  };
  /** an IPv6 sender's address as its 16 bytes */
  fromBytes?: Buffer;
  /** destination address from IP_PKTINFO / IPV6_PKTINFO */
  dst?: string;
  /** the IPv6 destination (IPV6_PKTINFO) as its 16 bytes */
  dstBytes?: Buffer;
  /** receiving interface from IP_PKTINFO / IPV6_PKTINFO */
  ifindex?: number;
  /** IPv4 TTL (IP_RECVTTL) or IPv6 hop limit (IPV6_RECVHOPLIMIT) */
  ttl?: number;
}

/** Errors from the addon: `code` is the errno name ('ENODEV'), `syscall` names the call. */
export interface NativeError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export interface SendOptions {
  /** source address for this datagram (IP_PKTINFO / IPV6_PKTINFO) */
  src?: string;
  /** outgoing interface for this datagram */
  ifindex?: number;
  /** TTL / hop limit for this datagram */
  ttl?: number;
}

export interface NativeSocket {
  fd(): number;
  setIntOption(level: number, name: number, value: number, label?: string): void;
  getIntOption(level: number, name: number): number;
  setStringOption(level: number, name: number, value: string, label?: string): void;
  joinGroup(group: string, ifindex: number): void;
  leaveGroup(group: string, ifindex: number): void;
  setMulticastIf(ifindex: number): void;
  bind(addr: SockAddr): void;
  getsockname(): RawDatagram['from'];
  sendTo(data: Buffer, addr: SockAddr, opts?: SendOptions): number;
  startReading(cb: (err: NativeError | null, msg: RawDatagram | undefined) => void, maxBytes?: number): void;
  stopReading(): void;
  /**
   * Batched reading (recvmmsg): datagram i of a batch lands at data[i * slotBytes], its facts
   * in meta (BATCH_META_INTS per datagram, see src/native/index.ts), cb(null, count) once per
   * batch. Absent in addons that predate it.
   */
  startReadingBatch?(
    cb: (err: NativeError | null, count: number | undefined) => void,
    data: ArrayBuffer,
    meta: Int32Array,
    slotBytes: number,
  ): void;
  setRef(ref: boolean): void;
  close(): void;
  /**
   * Early drops for batched reading (native/src/advert_filter.h): the per-VRID table
   * (src/vrrp/rx-filter.ts) and the Float64Array the drops are counted in; null: off.
   * Absent in addons that predate it.
   */
  setRxFilter?(table: Uint8Array | null, counts?: Float64Array): void;
}

/**
 * Connect-only TCP attempts (native/src/tcp_prober.h). Completions are written as
 * [slot, errno] pairs into the Int32Array given to the constructor and announced with
 * onBatch(pairs); a slot stays reserved until onBatch returns.
 */
export interface NativeTcpProber {
  /** slot >= 0, or -(errno | 0x20000 socket() | 0x10000 bind() | 0 connect()) on an immediate failure */
  start(addr: Buffer, bind?: Buffer | null): number;
  /** closes an attempt still connecting (never reported); false when the slot is not connecting */
  cancel(slot: number): boolean;
  inFlight(): number;
  /** sockets of succeeded attempts kept (reset, closed state) for reuse, at most 256 per family */
  idle(): number;
  close(): void;
}

export interface NativeConstants {
  [name: string]: number;
}

export interface NativeAddon {
  abiVersion: number;
  /** netnsPath: create the socket in that network namespace (the calling thread switches and back) */
  Socket: new (
    domain: number,
    type: number,
    protocol: number,
    netnsPath?: string,
  ) => NativeSocket;
  TcpProber: new (out: Int32Array, onBatch: (pairs: number) => void) => NativeTcpProber;
  /** struct sockaddr_in / sockaddr_in6 bytes for TcpProber.start() */
  sockaddrBytes(addr: { address: string; port: number; scopeId?: number }): Buffer;
  constants: NativeConstants;
  ifNameToIndex(name: string): number;
  ifIndexToName(index: number): string;
  interfaceMac(name: string): Buffer;
  unixDgramSend(path: string, data: Buffer): void;
  /** writes files from inside the network namespace nsPath names (this thread only, then back) */
  writeInNetns?(nsPath: string, files: [string, string][]): void;
  /** a libuv signal handle on the calling thread's loop; returns its close() (call once) */
  watchSignal?(signum: number, fn: (signum: number) => void): () => void;
  /** process-directed signums go to the calling thread: every other thread blocks them */
  claimSignals?(signums: number[]): { release(): void; asked: number; blocking: number; open: number };
  /** the early drop filter's verdict on one datagram: [reason index or -1, column] (tests) */
  rxJudge?(
    table: Uint8Array,
    family: 4 | 6,
    data: Uint8Array,
    src: Uint8Array | null,
    dst: Uint8Array | null,
    ttl: number,
  ): [number, number];
  /** the early drop filter's reasons, by index (names of src/vrrp/drop-reason.ts) */
  rxReasons?: string[];
}

const ADDON_FILE = 'vrrpd_native.node';
const ADDON_REL = join('native', 'build', 'Release', ADDON_FILE);
let loaded: NativeAddon | undefined;

/**
 * Finds the addon: $VRRPD_NATIVE_PATH, else walks up from this file (src/ or dist/src/)
 * looking for native/build/Release/, or for the addon itself beside the bundled daemon
 * (the Debian package's /usr/lib/vrrpd/vrrpd_native.node, src/pkg/bundle.ts).
 */
function locate(): string {
  const override = process.env.VRRPD_NATIVE_PATH;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, ADDON_REL), join(dir, ADDON_FILE)]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  const err = new Error(
    `vrrpd native addon not found (${ADDON_REL}); build it with 'npm run build:native'`,
  ) as NativeError;
  err.code = 'NATIVE_MISSING';
  throw err;
}

/** The addon, loaded on first use (per thread: each worker gets its own instance). */
export function addon(): NativeAddon {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url);
    loaded = require(locate()) as NativeAddon;
  }
  return loaded;
}

/** A named constant from the addon (Linux values, compiled in), e.g. c('IP_PKTINFO'). */
export function c(name: string): number {
  const v = addon().constants[name];
  if (v === undefined) throw new Error(`unknown native constant ${name}`);
  return v;
}
