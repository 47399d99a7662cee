// Assembles the commander program. Commands are added here as they are implemented;
// exit codes follow CONFIG.md: 0 ok, 1 invalid input, 2 runtime failure.
import { Command } from 'commander';
import { registerCheckConfigCommand } from './check-config.js';
import { registerImportIpvsadmCommand } from './import-ipvsadm.js';
import { registerImportKeepalivedCommand } from './import-keepalived.js';
import { registerLabCommand } from './lab.js';
import { registerReloadCommand } from './reload.js';
import { registerRunCommand } from './run.js';
import { registerStatusCommand } from './status.js';

export { VERSION } from '../version.js';

import { VERSION } from '../version.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vrrpd')
    .description('VRRP (v2/v3) and IPVS health-checking daemon for Linux load-balancer directors')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own usage errors are "invalid input" (exit 1); help/version exit 0.
      process.exit(err.exitCode === 0 ? 0 : 1);
    });
  registerRunCommand(program);
  registerStatusCommand(program);
  registerReloadCommand(program);
  registerCheckConfigCommand(program);
  registerImportKeepalivedCommand(program);
  registerImportIpvsadmCommand(program);
  registerLabCommand(program);
  return program;
}
