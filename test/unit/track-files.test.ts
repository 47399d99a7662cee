// track_files: the first read, then inotify on the directory (a write, an atomic rename
// over the file, a delete → 0), init_file (at start only, overwrite), a number out of
// range ignored, reload. Real files in a temporary directory; no polling anywhere, so
// each change must arrive through inotify within the generous bound below.
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monotonicClock } from '../../src/clock.js';
import { TrackFiles } from '../../src/vrrp/track-files.js';
import { type LogLine, recordingLog } from '../helpers/log.js';
import { loadConfig, yaml } from './engine-fakes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TrackFiles', () => {
  let dir: string;
  let values: [string, number][];
  let lines: LogLine[];
  let t: TrackFiles | null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-track-file-'));
    values = [];
    lines = [];
    t = null;
  });
  afterEach(() => {
    t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cfg = (body: string) => loadConfig(yaml('track_files:', body, 'vrrp_instances: []'));
  const start = async (body: string) => {
    t = new TrackFiles(cfg(body), recordingLog(lines), (n, v) => values.push([n, v]), monotonicClock);
    t.start();
    return t;
  };
  /** waits (bounded) for the next value reported */
  const next = async (count: number, ms = 2000) => {
    const until = performance.now() + ms;
    while (values.length < count && performance.now() < until) await sleep(2);
    return values[count - 1];
  };

  it('reads at start, then follows writes, an atomic rename over the file, and a delete (0)', async () => {
    const f = join(dir, 'drain');
    writeFileSync(f, '5\n');
    await start(`  d: {file: ${f}}`);
    expect(values).toEqual([['d', 5]]);
    const t0 = performance.now();
    writeFileSync(f, '-254\n');
    expect(await next(2)).toEqual(['d', -254]);
    // well under a second (read at the event itself; the bound is for a loaded machine)
    expect(performance.now() - t0).toBeLessThan(500);
    writeFileSync(join(dir, 'drain.new'), '0x10');
    renameSync(join(dir, 'drain.new'), f);
    expect(await next(3)).toEqual(['d', 16]);
    unlinkSync(f);
    expect(await next(4)).toEqual(['d', 0]);
    // truncated and left empty: 0 once no write follows (EMPTY_CONFIRM_MS)
    writeFileSync(f, '8');
    expect(await next(5)).toEqual(['d', 8]);
    writeFileSync(f, '');
    expect(await next(6)).toEqual(['d', 0]);
    // another file in the directory is no event for this one
    writeFileSync(join(dir, 'other'), '7');
    await sleep(50);
    expect(values).toHaveLength(6);
    expect(t!.snapshot()).toEqual([{ name: 'd', file: f, value: 0, weight: 1 }]);
  });

  it('a missing file reads 0; a number out of the 32-bit range is ignored', async () => {
    const f = join(dir, 'x');
    await start(`  x: {file: ${f}, weight: -2}`);
    expect(values).toEqual([['x', 0]]);
    writeFileSync(f, '99999999999\n');
    await sleep(100);
    expect(values).toEqual([['x', 0]]);
    expect(lines.some((l) => l.level === 'warn' && /out of range/.test(l.msg ?? ''))).toBe(true);
    writeFileSync(f, '3');
    expect(await next(2)).toEqual(['x', 3]);
  });

  it('init_file writes a missing file, keeps an existing one unless overwrite', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const c = join(dir, 'c');
    writeFileSync(b, '7\n');
    writeFileSync(c, '7\n');
    await start(
      [
        `  a: {file: ${a}, init_file: {value: -3}}`,
        `  b: {file: ${b}, init_file: {value: -3}}`,
        `  c: {file: ${c}, init_file: {value: -3, overwrite: true}}`,
      ].join('\n'),
    );
    expect(readFileSync(a, 'utf8')).toBe('-3\n');
    expect(readFileSync(b, 'utf8')).toBe('7\n');
    expect(readFileSync(c, 'utf8')).toBe('-3\n');
    expect(Object.fromEntries(values)).toEqual({ a: -3, b: 7, c: -3 });
  });

  it('reload: a new tracker is read and watched, a removed one no longer reported, init_file not run', async () => {
    const a = join(dir, 'a');
    const n = join(dir, 'n');
    writeFileSync(a, '1');
    await start(`  a: {file: ${a}}`);
    t!.setConfig(cfg(`  a: {file: ${a}}\n  n: {file: ${n}, init_file: {value: 9}}`));
    expect(await next(2)).toEqual(['n', 0]);
    expect(existsSync(n)).toBe(false);
    t!.setConfig(cfg(`  n: {file: ${n}}`));
    writeFileSync(a, '2');
    writeFileSync(n, '4');
    expect(await next(3)).toEqual(['n', 4]);
    await sleep(50);
    expect(values.filter(([name]) => name === 'a')).toEqual([['a', 1]]);
  });
});
