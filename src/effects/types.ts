// The small interfaces behind which every OS effect lives (ARCHITECTURE rule 4).
// Unit tests fake them; integration tests and the daemon use the real ones in src/effects/.

import type { IpFamily } from '../net/addr.js';
import type { InterfaceAddress, LinkInfo } from '../netlink/rtnetlink.js';

export type { InterfaceAddress, LinkInfo };
export type Family = IpFamily;

/** A received VRRP packet with the facts the IP layer knows about it. */
/**
 * What a VRRP socket hands over, not yet interpreted: the engine takes the IP header apart
 * (src/net/ip-header.ts) so that every malformed one is counted in one place.
 */
export type ReceivedPacket =
  /** A whole IP packet, header included (raw IPv4 sockets; frames heard on a macvlan). */
  | { family: Family; ifindex: number; ip: Buffer }
  /** The IP payload, with the header facts the kernel gave as ancillary data (raw IPv6 sockets). */
  | { family: Family; ifindex: number; payload: Buffer; src: Uint8Array; dst: Uint8Array; ttl: number };

/** Sends and receives VRRP adverts (IP protocol 112) on one interface and family. */
export interface AdvertTransport {
  readonly family: Family;
  readonly ifname: string;
  /** Sends one VRRP message (payload only; the transport builds the IP header, TTL/hop limit 255). */
  send(payload: Buffer, dst: string, src?: string): Promise<void>;
  /** Registers the receive callback (one per transport). */
  onPacket(cb: (pkt: ReceivedPacket) => void): void;
  /** Reports socket errors that are not tied to one send. */
  onError(cb: (err: Error) => void): void;
  close(): void;
  /**
   * Early drops below JS (raw sockets read in batches, native/src/advert_filter.h): the
   * per-VRID table of src/vrrp/rx-filter.ts, null: off. False: not available here.
   */
  setRxFilter?(table: Uint8Array | null): boolean;
  /** The early drops since the last call: reason, the VRID read (-1: none), count. */
  takeRxDrops?(): { reason: string; vrid: number; count: number }[];
}

/** How a VIP is added (ip addr ... label/brd/scope), as the configuration asks. */
export interface AddressOptions {
  /** IFA_LABEL (IPv4) */
  label?: string;
  /** IFA_BROADCAST (IPv4): an address, or '+' / '-' for the host bits set / clear */
  brd?: string;
  scope?: 'global' | 'site' | 'link' | 'host' | 'nowhere';
}

export interface AddressManager {
  /** Adds address/prefix on ifname (IPv6 with IFA_F_NODAD). Already present is not an error. */
  add(ifname: string, address: string, prefixLength: number, opts?: AddressOptions): Promise<void>;
  /** Removes address/prefix from ifname. Already absent is not an error. */
  remove(ifname: string, address: string, prefixLength: number): Promise<void>;
  list(ifname?: string): Promise<InterfaceAddress[]>;
}

/** Link and address change events from rtnetlink multicast groups. */
export type LinkEvent =
  | { type: 'link'; link: LinkInfo }
  | { type: 'link-removed'; ifindex: number; name: string }
  | { type: 'address-added'; address: InterfaceAddress }
  | { type: 'address-removed'; address: InterfaceAddress };

export interface LinkWatcher {
  links(): Promise<LinkInfo[]>;
  onEvent(cb: (ev: LinkEvent) => void): void;
  close(): void;
}

/**
 * The host's local addresses as the kernel reports them (rtnetlink address notifications,
 * re-dumped after an overrun), for the LVS side's ha_suspend. Addresses in canonical text.
 */
export interface LocalAddresses {
  /** true while the address is on some interface */
  has(address: string): boolean;
  /** after an address appeared on or left the host (not for a second copy of it) */
  onChange(cb: () => void): void;
  close(): void;
}

/** Sends link-layer frames (gratuitous ARP, unsolicited NA) on an interface. */
export interface FrameSender {
  /** frame: a full Ethernet frame (dst MAC, src MAC, ethertype, payload). */
  send(ifname: string, frame: Buffer): Promise<void>;
  close(): void;
}

export interface ScriptResult {
  /** exit code, or null when killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** stdout+stderr, truncated */
  output: string;
  durationMs: number;
  /** stable code when the script did not run: SCRIPT_INSECURE, SCRIPT_NOT_FOUND, SCRIPT_USER_UNKNOWN, SCRIPT_SPAWN_FAILED */
  errorCode?: string;
}

export interface ScriptRunner {
  /** Runs argv without a shell; kills the whole process group at timeoutMs. */
  run(
    argv: readonly string[],
    opts: {
      timeoutMs: number;
      user?: string;
      /** a group from /etc/group instead of the user's primary group */
      group?: string;
      env?: Record<string, string>;
      /** aborting kills the whole process group, as the timeout does */
      signal?: AbortSignal;
    },
  ): Promise<ScriptResult>;
}

/** A target's addresses, encoded once by the connector: attempts parse nothing. */
export interface ConnectTarget {
  readonly addr: Buffer;
  readonly bind: Buffer | undefined;
  readonly bindAddress: string | undefined;
  /** "[2001:db8::1]:80" / "192.0.2.1:80", for reasons */
  readonly where: string;
}

/** Receives the outcome of an attempt: null when the handshake completed, else a reason. */
export interface ConnectSink {
  connectDone(failure: string | null): void;
}

/** One connect attempt in flight. */
export interface ConnectHandle {
  readonly finished: boolean;
  /** Stops the attempt (its socket is closed); the sink is not called. */
  cancel(): void;
}

/**
 * Connect-only TCP attempts (connect, then reset) for plain TCP checks: the addon's
 * prober (src/effects/tcp-connect.ts), handed to the checks by the daemon.
 */
export interface TcpConnector {
  /** Encodes an IP literal target (no "%zone"); throws on a malformed address. */
  target(host: string, family: 4 | 6, port: number, bindAddress?: string): ConnectTarget;
  /** Starts an attempt; the sink hears its outcome, always asynchronously. */
  start(target: ConnectTarget, sink: ConnectSink): ConnectHandle;
}

/**
 * Host routes of announced addresses in the one kernel routing table vrrpd owns (FRR
 * imports it). Every call is idempotent; the implementation also makes sure the routes go
 * when vrrpd dies without a word (kill -9), which the kernel does not do by itself.
 */
export interface RouteSink {
  /** Adds the host route (/32 or /128) to address; already there is success. */
  add(address: string): Promise<void>;
  /** Removes it; already gone is success. */
  remove(address: string): Promise<void>;
  /** Removes every route of vrrpd's protocol in the table (an earlier run's included). */
  removeAll(): Promise<void>;
  close(): void;
}

/** One VIP whose packets the accept filter drops (RFC 5798 Accept_Mode off, not the owner). */
export interface AcceptDrop {
  readonly instance: string;
  readonly family: Family;
  readonly address: string;
}

/** The daemon's nftables table of Accept_Mode drops (src/effects/accept-filter.ts). */
export interface AcceptFilter {
  /** 'inet vrrpd' */
  readonly table: string;
  /** Makes the table hold exactly these drops; none: the table is deleted. */
  apply(drops: readonly AcceptDrop[]): Promise<void>;
}

/** The outcome of one ICMP/ICMPv6 echo: the reply's round trip, or why there was none. */
export type EchoOutcome = { ok: true; rttMs: number } | { ok: false; reason: string };

/** One echo request in flight. */
export interface EchoHandle {
  /** Stops waiting; the callback is not called. */
  cancel(): void;
}

/**
 * ICMP and ICMPv6 echo for PING_CHECK: the addon's raw sockets (src/effects/icmp-echo.ts),
 * handed to the checks by the daemon as the TCP connector is.
 */
export interface IcmpEcho {
  /**
   * Sends one echo request to an IP literal; `done` hears the reply, an ICMP error about it,
   * a send error or the timeout, once and always asynchronously.
   */
  echo(
    target: string,
    opts: { bindAddress?: string; timeoutMs: number },
    done: (o: EchoOutcome) => void,
  ): EchoHandle;
}

/** One of keepalived's notify FIFOs, opened for writing without ever blocking. */
export interface FifoWriter {
  readonly path: string;
  /** Writes one whole line; false when it was dropped (the FIFO is full: nobody reads). */
  write(line: string): boolean;
  close(): void;
}

/** An e-mail to send (plain text). */
export interface MailMessage {
  subject: string;
  text: string;
}

/** Sends e-mail alerts through one SMTP server (src/effects/smtp-mail.ts, nodemailer). */
export interface MailSender {
  /** Resolves when the server accepted it; rejects with the reason it did not. */
  send(m: MailMessage): Promise<void>;
  close(): void;
}

/**
 * The routes and policy-routing rules of VRRP instances (keepalived virtual_routes /
 * virtual_rules), through rtnetlink (src/effects/routing-manager.ts). Idempotent.
 */
export interface RoutingManager {
  /** Adds the route; true when the kernel did not have it yet, false when it was there. */
  addRoute(r: import('../config/model.js').VirtualRoute): Promise<boolean>;
  /** Removes it; already gone (or its device gone) is success. */
  removeRoute(r: import('../config/model.js').VirtualRoute): Promise<void>;
  /** Adds the rule; true when the kernel did not have it yet. */
  addRule(r: import('../config/model.js').VirtualRule): Promise<boolean>;
  removeRule(r: import('../config/model.js').VirtualRule): Promise<void>;
  /** Which of these the kernel has now (one dump per family and kind). */
  present(
    routes: readonly import('../config/model.js').VirtualRoute[],
    rules: readonly import('../config/model.js').VirtualRule[],
  ): Promise<{ routes: boolean[]; rules: boolean[] }>;
  /**
   * Hears that a route or rule was deleted by anyone (RTM_DELROUTE / RTM_DELRULE), or that
   * notifications were lost; listening starts with the first route or rule added.
   */
  onDeleted(cb: () => void): void;
  close(): void;
}

/** A process event from the kernel (processes only, threads left out). */
export type ProcEvent =
  | { type: 'fork'; parentPid: number; childPid: number }
  | { type: 'exec'; pid: number }
  | { type: 'comm'; pid: number }
  | { type: 'exit'; pid: number }
  /** events were lost (the socket's buffer overran): whoever counts processes reads /proc again */
  | { type: 'lost' };

/** The kernel's process events (src/effects/proc-events.ts, the netlink process connector). */
export interface ProcEventSource {
  /** where it listens, for the log: 'this network namespace' or the initial one's path */
  readonly where: string;
  close(): void;
}

/**
 * Subscribes to the process events; rejects when the connector is not available.
 * `initialNetns`: where to open the socket when this network namespace has no connector.
 */
export type OpenProcEvents = (
  onEvent: (e: ProcEvent) => void,
  opts: { initialNetns: string },
) => Promise<ProcEventSource>;
