// `vrrpd reload [-s PATH]`: asks the daemon to re-read its configuration file (same as
// SIGHUP, but with an answer). The daemon parses and validates first: a bad file is
// refused and the running configuration stays. Exit codes (CONFIG.md): 0 reloaded,
// 1 the file was refused (its errors on stderr, FILE:LINE:COL: message), 2 daemon not reachable.
import type { Command } from 'commander';
import { request } from '../control/client.js';
import { DEFAULT_CONTROL_SOCKET, isReloadResult } from '../control/protocol.js';

export interface ReloadOptions {
  socket: string;
}

export interface ReloadIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Parsing and diffing 10k real servers takes well under a second; leave room for a busy host. */
const RELOAD_TIMEOUT_MS = 60_000;

export async function runReload(opts: ReloadOptions, io: ReloadIo): Promise<number> {
  let result: unknown;
  try {
    result = await request(opts.socket, 'reload', {}, RELOAD_TIMEOUT_MS);
  } catch (e) {
    io.err(`vrrpd: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (!isReloadResult(result)) {
    io.err(`vrrpd: the daemon on ${opts.socket} gave an answer to 'reload' this vrrpd does not understand\n`);
    return 2;
  }
  if (result.ok) {
    io.out(`${result.summary}\n`);
    return 0;
  }
  io.err(
    `vrrpd: configuration refused (${result.errors.length} error(s)); the running configuration is unchanged\n`,
  );
  for (const line of result.errors) io.err(`${line}\n`);
  return 1;
}

export function registerReloadCommand(program: Command): void {
  program
    .command('reload')
    .description('make the running daemon re-read its configuration file (refused if the file is invalid)')
    .option('-s, --socket <path>', 'control socket of the daemon', DEFAULT_CONTROL_SOCKET)
    .action(async (opts: ReloadOptions) => {
      process.exitCode = await runReload(opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
