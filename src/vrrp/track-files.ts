// track_files (keepalived vrrp_track_file): a file holding a number, read at start and
// again whenever inotify reports it changed. The directory is watched, not the file, so
// that a file created, deleted or renamed over (an atomic write) is seen too. A missing
// file reads as 0, as in keepalived; a number out of the 32-bit range is ignored. Each new
// number goes to the VRRP engine, which applies number × weight (track-weights.ts).
import { existsSync, type FSWatcher, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { strtol0 } from '../check/file.js';
import type { Clock } from '../clock.js';
import type { Config, TrackFile } from '../config/model.js';
import type { TrackFileStatus } from '../control/snapshot.js';
import type { Log } from '../log.js';

/**
 * inotify reports a write as it happens (`echo N > FILE` truncates, then writes): the file
 * is read at once on each event, but an empty file (a truncation whose write has not come
 * yet) is taken as 0 only if no other event follows within EMPTY_CONFIRM_MS.
 */
export const EMPTY_CONFIRM_MS = 20;
/** A track file holds one number: the first 4 KiB are read. */
const MAX_BYTES = 4096;
const INT32_MIN = -2147483648;
const INT32_MAX_PLUS_1 = 2147483648;

interface Tracked {
  spec: TrackFile;
  value: number | null;
  /** the confirmation of an empty file */
  timer: unknown;
}

export class TrackFiles {
  private tracked = new Map<string, Tracked>();
  private watchers = new Map<string, FSWatcher>();
  private stopped = false;

  constructor(
    private config: Config,
    private readonly log: Log,
    private readonly onValue: (name: string, value: number) => void,
    private readonly clock: Clock,
  ) {}

  /** At start only: init_file writes the files that need it (never on reload, as keepalived). */
  start(): void {
    for (const f of Object.values(this.config.trackFiles ?? {})) this.initFile(f);
    this.sync();
  }

  private initFile(f: TrackFile): void {
    if (!f.init) return;
    try {
      const exists = existsSync(f.path);
      if (exists && (!f.init.overwrite || !statSync(f.path).isFile())) {
        if (f.init.overwrite)
          this.log.error(
            { event: 'track-file-init', file: f.path },
            `track_file ${f.name}: ${f.path} is not a regular file: not written`,
          );
        return;
      }
      writeFileSync(f.path, `${f.init.value}\n`);
      this.log.info(
        { event: 'track-file-init', file: f.path, value: f.init.value },
        `track_file ${f.name}: wrote ${f.init.value} to ${f.path}`,
      );
    } catch (err) {
      this.log.error(
        { event: 'track-file-init', file: f.path, err: String(err) },
        `track_file ${f.name}: cannot write ${f.path}: ${(err as Error).message}`,
      );
    }
  }

  setConfig(config: Config): void {
    this.config = config;
    this.sync();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.tracked.values()) if (t.timer !== null) this.clock.clearTimer(t.timer);
  }

  /** Watches what the config names (and no more), and reads the files new to it. */
  private sync(): void {
    const specs = Object.values(this.config.trackFiles ?? {});
    const next = new Map<string, Tracked>();
    const fresh: Tracked[] = [];
    for (const spec of specs) {
      const old = this.tracked.get(spec.name);
      if (old && old.spec.path === spec.path) {
        old.spec = spec;
        next.set(spec.name, old);
      } else {
        if (old?.timer) this.clock.clearTimer(old.timer);
        const t: Tracked = { spec, value: null, timer: null };
        next.set(spec.name, t);
        fresh.push(t);
      }
    }
    for (const [name, t] of this.tracked)
      if (!next.has(name) && t.timer !== null) this.clock.clearTimer(t.timer);
    this.tracked = next;
    const dirs = new Set(specs.map((s) => dirname(s.path)));
    for (const [dir, w] of this.watchers)
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    for (const dir of dirs) if (!this.watchers.has(dir)) this.watchDir(dir);
    for (const t of fresh) this.read(t, true);
  }

  private watchDir(dir: string): void {
    try {
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename === null) {
          for (const t of this.tracked.values()) if (dirname(t.spec.path) === dir) this.changed(t);
          return;
        }
        for (const t of this.tracked.values())
          if (basename(t.spec.path) === filename && dirname(t.spec.path) === dir) this.changed(t);
      });
      w.on('error', (err) => {
        this.log.error(
          { event: 'track-file-watch', dir, err: String(err) },
          `track_file: watching ${dir} failed (${err.message}): its files are no longer followed`,
        );
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch (err) {
      // keepalived drops a track file whose directory does not exist; the file reads as 0
      this.log.error(
        { event: 'track-file-watch', dir, err: String(err) },
        `track_file: cannot watch ${dir} (${(err as Error).message}): its files read as 0 and are not followed`,
      );
    }
  }

  /** An inotify event for the file: read it now (a tiny file: one synchronous read). */
  private changed(t: Tracked): void {
    if (this.stopped) return;
    if (t.timer !== null) this.clock.clearTimer(t.timer);
    t.timer = null;
    this.read(t, false);
  }

  /** `acceptEmpty`: an empty file reads 0 now (at start, and once no write followed it). */
  private read(t: Tracked, acceptEmpty: boolean): void {
    let value: number;
    let note: string | undefined;
    try {
      const buf = readFileSync(t.spec.path);
      if (buf.length === 0 && !acceptEmpty) {
        t.timer = this.clock.setTimer(() => {
          t.timer = null;
          if (!this.stopped && this.tracked.get(t.spec.name) === t) this.read(t, true);
        }, EMPTY_CONFIRM_MS);
        return;
      }
      value = strtol0(buf.subarray(0, MAX_BYTES).toString('latin1'));
    } catch (err) {
      // missing or unreadable: 0, as keepalived reads it
      value = 0;
      note = `${(err as NodeJS.ErrnoException).code ?? 'error'}, read as 0`;
    }
    if (value < INT32_MIN || value > INT32_MAX_PLUS_1) {
      this.log.warn(
        { event: 'track-file', tracker: t.spec.name, file: t.spec.path, value },
        `track_file ${t.spec.name}: ${t.spec.path} holds ${value}, out of range: ignored`,
      );
      return;
    }
    if (value === t.value) return;
    const from = t.value;
    t.value = value;
    this.log.info(
      {
        event: 'track-file',
        tracker: t.spec.name,
        file: t.spec.path,
        from,
        value,
        ...(note ? { note } : {}),
      },
      `track_file ${t.spec.name}: ${t.spec.path} holds ${value}${note ? ` (${note})` : ''}`,
    );
    this.onValue(t.spec.name, value);
  }

  /** For `vrrpd status`. */
  snapshot(): TrackFileStatus[] {
    return [...this.tracked.values()].map((t) => ({
      name: t.spec.name,
      file: t.spec.path,
      value: t.value,
      weight: t.spec.weight,
    }));
  }
}
