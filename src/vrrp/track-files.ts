// track_files (keepalived vrrp_track_file): a file holding a number, read at start and
// again whenever inotify reports it changed. The directory is watched, not the file, so
// that a file created, deleted or renamed over (an atomic write) is seen too. A missing
// file reads as 0, as in keepalived; a number out of the 32-bit range is ignored. Each new
// number goes to the VRRP engine, which applies number × weight (track-weights.ts).
import { type FSWatcher, watch, writeFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readTrackFile } from '../check/file.js';
import type { Clock } from '../clock.js';
import type { Config, TrackFile } from '../config/model.js';
import type { TrackFileStatus } from '../control/snapshot.js';
import type { Log } from '../log.js';

/**
 * inotify reports a write as it happens (`echo N > FILE` truncates, then writes): the file
 * is read once the events have been quiet this long (at most MAX_SETTLE_MS after the first).
 */
export const SETTLE_MS = 3;
const MAX_SETTLE_MS = 50;
const INT32_MIN = -2147483648;
const INT32_MAX_PLUS_1 = 2147483648;


interface Tracked {
  spec: TrackFile;
  value: number | null;
  timer: unknown;
  firstEventAt: number | null;
  reading: boolean;
  again: boolean;
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
  async start(): Promise<void> {
    for (const f of Object.values(this.config.trackFiles ?? {})) this.initFile(f);
    await this.sync();
  }

  private initFile(f: TrackFile): void {
    if (!f.init) return;
    try {
      const exists = existsSync(f.path);
      if (exists && (!f.init.overwrite || !statSync(f.path).isFile())) {
        if (f.init.overwrite)
          this.log.error({ event: 'track-file-init', file: f.path }, `track_file ${f.name}: ${f.path} is not a regular file: not written`);
        return;
      }
      writeFileSync(f.path, `${f.init.value}\n`);
      this.log.info({ event: 'track-file-init', file: f.path, value: f.init.value }, `track_file ${f.name}: wrote ${f.init.value} to ${f.path}`);
    } catch (err) {
      this.log.error(
        { event: 'track-file-init', file: f.path, err: String(err) },
        `track_file ${f.name}: cannot write ${f.path}: ${(err as Error).message}`,
      );
    }
  }

  setConfig(config: Config): void {
    this.config = config;
    void this.sync();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.tracked.values()) if (t.timer !== null) this.clock.clearTimer(t.timer);
  }

  /** Watches what the config names (and no more), and reads the files new to it. */
  private async sync(): Promise<void> {
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
        const t: Tracked = { spec, value: null, timer: null, firstEventAt: null, reading: false, again: false };
        next.set(spec.name, t);
        fresh.push(t);
      }
    }
    for (const [name, t] of this.tracked) if (!next.has(name) && t.timer !== null) this.clock.clearTimer(t.timer);
    this.tracked = next;
    const dirs = new Set(specs.map((s) => dirname(s.path)));
    for (const [dir, w] of this.watchers)
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    for (const dir of dirs) if (!this.watchers.has(dir)) this.watchDir(dir);
    await Promise.all(fresh.map((t) => this.read(t)));
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

  /** An inotify event for the file: read it once writing has settled. */
  private changed(t: Tracked): void {
    if (this.stopped) return;
    const now = this.clock.now();
    t.firstEventAt ??= now;
    if (t.timer !== null) this.clock.clearTimer(t.timer);
    const wait = Math.max(0, Math.min(SETTLE_MS, t.firstEventAt + MAX_SETTLE_MS - now));
    t.timer = this.clock.setTimer(() => {
      t.timer = null;
      t.firstEventAt = null;
      void this.read(t);
    }, wait);
  }

  private async read(t: Tracked): Promise<void> {
    if (t.reading) {
      t.again = true;
      return;
    }
    t.reading = true;
    try {
      do {
        t.again = false;
        const { value, note } = await readTrackFile(t.spec.path);
        if (this.stopped || this.tracked.get(t.spec.name) !== t) return;
        if (value < INT32_MIN || value > INT32_MAX_PLUS_1) {
          this.log.warn(
            { event: 'track-file', tracker: t.spec.name, file: t.spec.path, value },
            `track_file ${t.spec.name}: ${t.spec.path} holds ${value}, out of range: ignored`,
          );
          continue;
        }
        if (value === t.value) continue;
        const from = t.value;
        t.value = value;
        this.log.info(
          { event: 'track-file', tracker: t.spec.name, file: t.spec.path, from, value, ...(note ? { note } : {}) },
          `track_file ${t.spec.name}: ${t.spec.path} holds ${value}${note ? ` (${note})` : ''}`,
        );
        this.onValue(t.spec.name, value);
      } while (t.again);
    } finally {
      t.reading = false;
    }
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
