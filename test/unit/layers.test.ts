// The layer rules of .dependency-cruiser.cjs (docs/architecture.md), run as part of the
// unit tests so that `npm test` and CI fail on an import arrow that points up, a cycle or
// a module outside the folders that name their parts.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

describe('layers (dependency-cruiser)', () => {
  it('every import arrow in src/ points down and no module depends on itself through others', async () => {
    const cli = `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;
    const r = await run(
      process.execPath,
      [cli, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
      {
        cwd: root,
      },
    ).catch((e: { stdout?: string; stderr?: string; code?: number }) => e);
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    expect(out).not.toMatch(/\berror\b/);
    expect(out).toMatch(/no dependency violations found/);
  }, 120_000);

  it('src/ holds no module besides daemon.ts and the shared leaves', () => {
    const files = readdirSync(`${root}src`, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name);
    expect(files).toContain('daemon.ts');
    for (const f of files)
      expect(['daemon.ts', 'clock.ts', 'errors.ts', 'log.ts', 'version.ts', 'start-marks.ts']).toContain(f);
  });
});
