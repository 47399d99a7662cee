// FILE_CHECK through inotify: a file check with a long interval runs as soon as its file
// changes (written, renamed over), and its result still goes through rise/fall.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckManager, createCheckManager } from '../../src/check/manager.js';
import type { ScriptRunner } from '../../src/effects/types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noRunner = {} as ScriptRunner;

describe('file checks follow their file through inotify', () => {
  let dir: string;
  let m: CheckManager | null;
  let changes: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-file-check-'));
    m = null;
    changes = [];
  });
  afterEach(() => {
    m?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const until = async (pred: () => boolean, ms = 2000) => {
    const end = performance.now() + ms;
    while (!pred() && performance.now() < end) await sleep(2);
    return pred();
  };

  it('a change runs the check at once (interval 1 h); rise 2 still needs two good runs', async () => {
    const f = join(dir, 'drain');
    writeFileSync(f, '0\n');
    m = createCheckManager({
      runner: noRunner,
      random: () => 0, // the first run at once
      onChange: (id, t) => changes.push(`${id} ${t.to}`),
    });
    m.set([
      {
        id: 'f',
        probe: { type: 'file', path: f },
        intervalMs: 3_600_000,
        timeoutMs: 1000,
        rise: 2,
        fall: 1,
        retry: 0,
        retryDelayMs: 0,
        alpha: false,
      },
    ]);
    expect(await until(() => m!.get('f')?.checks === 1)).toBe(true);
    const t0 = performance.now();
    writeFileSync(f, '1\n');
    expect(await until(() => changes.includes('f down'))).toBe(true);
    expect(performance.now() - t0).toBeLessThan(500);
    // back to 0 (renamed over): one good run is not yet rise 2
    writeFileSync(join(dir, 'drain.tmp'), '0\n');
    renameSync(join(dir, 'drain.tmp'), f);
    expect(await until(() => m!.get('f')?.consecutiveOk === 1)).toBe(true);
    expect(m.get('f')?.state).toBe('down');
    writeFileSync(f, '0\n');
    expect(await until(() => changes.at(-1) === 'f up')).toBe(true);
    // another file in the directory runs nothing
    const runs = m.get('f')!.checks;
    writeFileSync(join(dir, 'other'), '1');
    await sleep(50);
    expect(m.get('f')!.checks).toBe(runs);
  });
});
