// File checks (keepalived FILE_CHECK): inotify on the files' directories, so that a change
// runs the check at once instead of at its next interval; keepalived acts on a tracked
// file's change when inotify reports it. The result still goes through the check's
// rise/fall like any other run (the importer writes keepalived's rise 1 / fall 1).
// The directory is watched so that a file created, deleted or renamed over is seen too.
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Log } from '../log.js';

/** `echo N > FILE` is a truncate, then a write: the run waits for the events to settle. */
const SETTLE_MS = 3;

export class FileWatches {
  /** check id → path */
  private paths = new Map<string, string>();
  private watchers = new Map<string, FSWatcher>();
  private timers = new Map<string, NodeJS.Timeout>();
  private failed = new Set<string>();

  constructor(
    private readonly onChange: (id: string) => void,
    private readonly log?: Log,
  ) {}

  /** The file checks now configured (id → path): watches their directories, and no more. */
  set(paths: Map<string, string>): void {
    this.paths = paths;
    const dirs = new Set([...paths.values()].map((p) => dirname(p)));
    for (const [dir, w] of this.watchers)
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    for (const dir of dirs) if (!this.watchers.has(dir) && !this.failed.has(dir)) this.watchDir(dir);
    for (const [id, t] of this.timers)
      if (!paths.has(id)) {
        clearTimeout(t);
        this.timers.delete(id);
      }
  }

  stop(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private watchDir(dir: string): void {
    try {
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        for (const [id, path] of this.paths)
          if (dirname(path) === dir && (filename === null || basename(path) === filename)) this.changed(id);
      });
      w.on('error', (err) => {
        this.log?.warn(
          { event: 'file-check-watch', dir, err: String(err) },
          `file checks: watching ${dir} failed: checked at their interval only`,
        );
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch (err) {
      // a directory that does not exist (yet): the checks still run at their interval
      this.failed.add(dir);
      this.log?.warn(
        { event: 'file-check-watch', dir, err: String(err) },
        `file checks: cannot watch ${dir} (${(err as Error).message}): checked at their interval only`,
      );
    }
  }

  private changed(id: string): void {
    const old = this.timers.get(id);
    if (old) clearTimeout(old);
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        if (this.paths.has(id)) this.onChange(id);
      }, SETTLE_MS),
    );
  }
}
