// The entry point of a bench script run as `node dist/bench/NAME.js`: runs main() when the
// file is the one node was started with (not when a test or bench/run.ts imports it), exits
// with its code, and turns a failure into one line (with the stack) and exit code 2.

/** True when the module at `moduleUrl` (its import.meta.url) is the script node runs. */
export function isMain(moduleUrl: string): boolean {
  return !!process.argv[1] && moduleUrl === new URL(`file://${process.argv[1]}`).href;
}

export function runMain(moduleUrl: string, name: string, main: () => Promise<number>): void {
  if (!isMain(moduleUrl)) return;
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `bench/${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(2);
    },
  );
}

/**
 * SIGINT / SIGTERM while a bench runs: `cleanup` once (its namespaces, its files), then exit
 * 130, so that an interrupted bench leaves nothing behind.
 */
export function cleanUpOnSignals(cleanup: () => Promise<void>): void {
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${sig}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
