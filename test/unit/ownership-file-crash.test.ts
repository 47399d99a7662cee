// The IPVS ownership record survives a kill -9 of its writer at any moment: a real
// process rewriting the file with effects/ownership-file.ts is SIGKILLed at random
// moments, again and again; after each kill the file reads back whole (old or new
// generation, never a torn or empty one), and the temporary files the killed writers
// left behind are removed by the next read.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readOwnershipRecord, removeStaleTemps } from '../../src/effects/ownership-file.js';
import { encodeOwnershipRecord } from '../../src/lvs/ownership.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WRITER = join(ROOT, 'test/helpers/ownership-writer.mjs');
const BUILT = join(ROOT, 'dist/src/effects/ownership-file.js');
// more kills for a longer run: OWNERSHIP_KILLS=1000 npx vitest run --project unit ...
const KILLS = Number(process.env.OWNERSHIP_KILLS ?? 40);

function generation(keys: ReadonlySet<string>): number {
  const k = [...keys].find((x) => x.startsWith('fwmark:4:'));
  if (!k) throw new Error('record without its generation key');
  return Number(k.slice('fwmark:4:'.length));
}

/** Starts the writer at generation `first`; resolves with it once it runs. */
function startWriter(file: string, first: number): Promise<{ child: ChildProcess; printed: number[] }> {
  const child = spawn(process.execPath, [WRITER, file, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const printed: number[] = [];
  let buf = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'ready') resolve({ child, printed });
        else printed.push(Number(line));
      }
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`writer exited early (${code ?? signal}): ${err}`)),
    );
  });
}

const dir = mkdtempSync(join(tmpdir(), `vrrpd-ownership-crash-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ownership record: kill -9 of the writer at any moment', () => {
  it(`${KILLS}+ kills at random moments: always the old or the new record, whole`, async () => {
    expect(existsSync(BUILT), `${BUILT} missing: run 'npm run build' first`).toBe(true);
    const file = join(dir, 'ipvs-owned.json');
    writeFileSync(file, encodeOwnershipRecord(['fwmark:4:0', ...recordTcpKeys(0)]));
    let current = 0; // generation in the file
    let midWrite = 0; // kills that left a temporary file: the writer was inside a write
    let afterRename = 0; // kills between the rename and the line announcing it
    let kills = 0;
    // at least KILLS kills, and on until 5 of them landed inside a write (bounded)
    while ((kills < KILLS || midWrite < 5) && kills < KILLS * 5) {
      const { child, printed } = await startWriter(file, current + 1);
      await new Promise((r) => setTimeout(r, Math.random() * 30));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      kills++;
      const lastPrinted = printed.length > 0 ? printed[printed.length - 1]! : current;
      const temps = readdirSync(dir).filter((n) => n.endsWith('.tmp'));
      if (temps.length > 0) midWrite++;
      const r = await readOwnershipRecord(file);
      if (!r.ok) throw new Error(`kill ${kills}: record unreadable after the kill: ${r.code} ${r.reason}`);
      const gen = generation(r.keys);
      // the last announced generation, or the next one whose rename beat the print
      expect([lastPrinted, lastPrinted + 1], `kill ${kills}`).toContain(gen);
      if (gen === lastPrinted + 1) afterRename++;
      // and the whole record, not a prefix of it
      expect(r.keys.size).toBe(new Set([`fwmark:4:${gen}`, ...recordTcpKeys(gen)]).size);
      // the read removed what the dead writer left
      expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      current = gen;
    }
    console.log(
      `ownership record: ${kills} kills, ${midWrite} inside a write, ${afterRename} between rename and report, last generation ${current}`,
    );
    expect(midWrite).toBeGreaterThanOrEqual(5);
    expect(current).toBeGreaterThan(0);
  }, 120_000);

  it('removeStaleTemps leaves a live writer’s temporary file and other files alone', async () => {
    const file = join(dir, 'rec.json');
    const mine = join(dir, `.rec.json.${process.pid}.abcd.tmp`);
    const dead = join(dir, '.rec.json.999999999.abcd.tmp');
    const other = join(dir, '.other.json.999999999.abcd.tmp');
    for (const f of [mine, dead, other]) writeFileSync(f, 'x');
    expect(await removeStaleTemps(file)).toBe(1);
    expect(existsSync(mine)).toBe(true);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(other)).toBe(true);
  });
});

function recordTcpKeys(gen: number): string[] {
  const keys: string[] = [];
  const n = 100 + (gen % 7) * 150;
  for (let i = 0; i < n; i++) keys.push(`tcp:192.0.2.${i % 250}:${1000 + i}`);
  return keys;
}
