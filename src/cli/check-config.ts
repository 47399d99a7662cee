// `vrrpd check-config FILE`: validates a configuration without touching the system.
// Errors go to stderr one per line as FILE:LINE:COL: message (exit 1); a valid file
// prints a one-line summary (exit 0). CONFIG.md: 1 = invalid input.
import type { Command } from 'commander';
import { formatConfigError, loadConfigFile } from '../config/index.js';

export interface CheckConfigIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function runCheckConfig(file: string, io: CheckConfigIo): Promise<number> {
  const result = await loadConfigFile(file);
  if (!result.ok) {
    for (const e of result.errors) io.err(`${formatConfigError(e)}\n`);
    if (result.errors.length > 1) io.err(`${file}: ${result.errors.length} errors\n`);
    return 1;
  }
  const c = result.config;
  const ni = c.vrrpInstances.length;
  const nv = c.virtualServers.length;
  io.out(`${file}: OK (${ni} instance${ni === 1 ? '' : 's'}, ${nv} virtual server${nv === 1 ? '' : 's'})\n`);
  return 0;
}

export function registerCheckConfigCommand(program: Command): void {
  program
    .command('check-config')
    .description('validate a configuration file; errors as FILE:LINE:COL: message, exit 1 if any')
    .argument('<file>', 'the YAML configuration file')
    .action(async (file: string) => {
      process.exitCode = await runCheckConfig(file, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
