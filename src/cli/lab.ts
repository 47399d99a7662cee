// `vrrpd lab [--keep] [--steps a,b]`: a one-command live demo on network namespaces
// (two directors, two real servers, a client) showing failover and health checks.
import type { Command } from 'commander';

export function registerLabCommand(program: Command): void {
  program
    .command('lab')
    .description(
      'live demo on network namespaces (root): election, failover, preemption, graceful handover, health checks',
    )
    .option('--keep', 'leave the lab running after the scenes until Ctrl-C')
    .option(
      '--steps <list>',
      'scenes to run, comma-separated: election,failover,preempt,handover,health (default: all)',
    )
    .action(async (opts: { keep?: boolean; steps?: string }) => {
      // loaded here so other commands never load the lab
      const { parseSteps, runLab } = await import('../lab/run.js');
      let steps: ReturnType<typeof parseSteps>;
      try {
        steps = parseSteps(opts.steps);
      } catch (e) {
        process.stderr.write(`vrrpd lab: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await runLab({
        keep: opts.keep === true,
        steps,
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
