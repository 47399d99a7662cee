// `vrrpd run -c FILE`: the daemon in the foreground (systemd Type=notify).
// SIGTERM/SIGINT: priority-0 adverts, VIPs removed, IPVS left as it is; SIGHUP: reload.
import type { Command } from 'commander';
import { reloadConfigFile } from '../config/incremental.js';
import { createSdNotify } from '../effects/sd-notify.js';
import { VrrpdError } from '../errors.js';
import { createLogger } from '../log.js';
import { startMark } from '../start-marks.js';

export async function runDaemon(configFile: string): Promise<number> {
  // The daemon's modules are loaded here so that other commands (check-config, status)
  // never load daemon or native code; the file is read meanwhile, once: for the log
  // settings here, and handed to the daemon, which reports its errors.
  startMark('run-command');
  const [{ Daemon }, read] = await Promise.all([
    import('../daemon.js'),
    reloadConfigFile(configFile, null).catch(() => null),
  ]);
  startMark('config-loaded');
  const pre = read?.loaded ?? null;
  const global = pre?.ok ? pre.config.global : null;
  const logger = createLogger({
    level: global?.logLevel ?? 'info',
    ...(global?.routerId ? { routerId: global.routerId } : {}),
  });
  const sd = createSdNotify(process.env, {
    onError: (err) => logger.warn({ event: 'sd-notify-error', err: err.message }, 'sd_notify failed'),
  });
  const daemon = new Daemon({
    configFile,
    ...(pre ? { loaded: pre, bytes: read?.bytes ?? null } : {}),
    logger,
    ...(sd.enabled ? { notify: sd } : {}),
    // Test hooks (debug.stall-engine on the control socket) exist only for the namespace
    // tests; the environment of the process is the one switch, never the config file.
    ...(process.env.VRRPD_TEST_HOOKS === '1' ? { testHooks: true } : {}),
  });
  // The handlers are in place before start(): a SIGTERM/SIGINT while it runs (a startup
  // script, say) no longer kills the process the default way; the stop follows once
  // start() has settled (a failed start stops anyway).
  let stopping = false;
  let startDone = false;
  let pendingSignal: string | null = null;
  let resolveExit: (code: number) => void = () => {};
  const exitCode = new Promise<number>((r) => {
    resolveExit = r;
  });
  const stop = (signal: string) => {
    if (stopping) return;
    if (!startDone) {
      if (pendingSignal === null)
        logger.info({ event: 'signal', signal }, `${signal} while starting: stopping once started`);
      pendingSignal ??= signal;
      return;
    }
    stopping = true;
    // the stop first: its priority-0 adverts leave before anything else is done, this log line included
    const stopped = daemon.stop();
    logger.info({ event: 'signal', signal }, `${signal}: shutting down`);
    stopped.then(
      () => resolveExit(0),
      (err: unknown) => {
        logger.error({ event: 'stop-failed', err: String(err) }, 'shutdown failed');
        resolveExit(2);
      },
    );
  };
  // SIGHUP while starting: the reload follows once started (the file may have changed
  // after start() read it)
  let reloadPending = false;
  const reload = () => {
    if (!startDone) {
      if (!reloadPending)
        logger.info({ event: 'signal', signal: 'SIGHUP' }, 'SIGHUP while starting: reloading once started');
      reloadPending = true;
      return;
    }
    logger.info({ event: 'signal', signal: 'SIGHUP' }, 'SIGHUP: reloading');
    daemon
      .reload()
      .catch((err: unknown) => logger.error({ event: 'reload-failed', err: String(err) }, 'reload failed'));
  };
  const onHup = () => reload();
  process.on('SIGHUP', onHup);
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  daemon.signalsHandled();
  try {
    await daemon.start();
  } catch (err) {
    const code = err instanceof VrrpdError ? err.exitCode : 2;
    const msg = err instanceof Error ? err.message : String(err);
    logger.fatal({ event: 'start-failed', err: msg }, `vrrpd could not start: ${msg}`);
    process.stderr.write(`vrrpd: ${msg}\n`);
    await daemon.stop().catch(() => {});
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    process.off('SIGHUP', onHup);
    return code;
  }
  startDone = true;
  if (pendingSignal !== null) stop(pendingSignal);
  else if (reloadPending) reload();
  return await exitCode;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run the daemon in the foreground (SIGTERM: priority-0 adverts and VIPs removed; SIGHUP: reload)',
    )
    .requiredOption('-c, --config <file>', 'configuration file (YAML)')
    .action(async (opts: { config: string }) => {
      process.exitCode = await runDaemon(opts.config);
      // sockets and timers are closed; make sure nothing keeps the process alive
      setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
    });
}
