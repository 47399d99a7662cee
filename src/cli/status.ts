// `vrrpd status [--json] [--watch] [-s PATH]`: asks the daemon for its snapshot and
// prints it as a table (people) or the JSON document itself (scripts).
// Exit codes (CONFIG.md): 0 ok, 2 daemon not reachable / permission / protocol trouble.
import type { Command } from 'commander';
import { ControlClientError, request } from '../control/client.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/protocol.js';
import { renderStatus } from '../control/render.js';
import { isSnapshot, type Snapshot } from '../control/snapshot.js';

export interface StatusOptions {
  socket: string;
  json?: boolean;
  watch?: boolean;
}

/** What the command writes to and reads from; injected so tests run it in-process. */
export interface StatusIo {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
  color: boolean;
  now: () => Date;
  /** Resolves when the user asks to stop watching (SIGINT). */
  stopSignal: Promise<void>;
  intervalMs: number;
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

async function fetchSnapshot(socket: string): Promise<Snapshot> {
  const result = await request(socket, 'status', {}, 5000);
  if (!isSnapshot(result)) {
    const v = (result as { version?: unknown } | null)?.version;
    throw new ControlClientError(
      'CONTROL_PROTOCOL',
      `the daemon on ${socket} sent a status document this vrrpd does not understand (version ${String(v)})`,
    );
  }
  return result;
}

function show(s: Snapshot, opts: StatusOptions, io: StatusIo): void {
  if (opts.json) {
    // --watch --json: one document per line, so `jq` and line readers can follow it
    io.out(opts.watch ? `${JSON.stringify(s)}\n` : `${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  const text = renderStatus(s, { color: io.color, now: io.now() });
  io.out(opts.watch && io.isTty ? CLEAR_SCREEN + text : opts.watch ? `${text}\n` : text);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Runs the command; returns the exit code. */
export async function runStatus(opts: StatusOptions, io: StatusIo): Promise<number> {
  let snapshot: Snapshot;
  try {
    snapshot = await fetchSnapshot(opts.socket);
  } catch (e) {
    io.err(`vrrpd: ${message(e)}\n`);
    return 2;
  }
  show(snapshot, opts, io);
  if (!opts.watch) return 0;

  let stopped = false;
  void io.stopSignal.then(() => {
    stopped = true;
  });
  while (!stopped) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([io.stopSignal, new Promise<void>((r) => (timer = setTimeout(r, io.intervalMs)))]);
    clearTimeout(timer);
    if (stopped) break;
    try {
      show(await fetchSnapshot(opts.socket), opts, io);
    } catch (e) {
      // keep watching through a daemon restart: say so and try again next tick
      io.err(`vrrpd: ${message(e)}\n`);
    }
  }
  return 0;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show instances, VIPs, virtual and real servers and counters of the running daemon')
    .option('--json', 'print the status document (stable, versioned JSON) instead of a table')
    .option('--watch', 'refresh every second until interrupted')
    .option('-s, --socket <path>', 'control socket of the daemon', DEFAULT_CONTROL_SOCKET)
    .action(async (opts: StatusOptions) => {
      let onSigint = () => {};
      const stopSignal = new Promise<void>((resolve) => {
        onSigint = () => resolve();
      });
      process.once('SIGINT', onSigint);
      const isTty = process.stdout.isTTY === true;
      process.exitCode = await runStatus(opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
        isTty,
        color: isTty && !process.env.NO_COLOR,
        now: () => new Date(),
        stopSignal,
        intervalMs: 1000,
      });
      process.off('SIGINT', onSigint);
    });
}
