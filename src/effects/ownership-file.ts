// Reading and writing the ownership record (ownership.ts) as a file. Writes are
// atomic (a temporary file in the same directory, fsync, rename): a crash or a full
// disk leaves the old record or the new one, never half of one, and a half-written
// record would be read as corrupt, which loses the stale-service cleanup once.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  decodeOwnershipRecord,
  encodeOwnershipRecord,
  type OwnershipStore,
  OwnershipWriteError,
  type RecordRead,
} from '../lvs/ownership.js';

/**
 * Removes the temporary files a writer killed mid-write left beside the record
 * (`.NAME.PID.HEX.tmp` of a PID that no longer runs). They are never read, but a
 * daemon killed often would otherwise pile them up. Best effort; returns how many went.
 */
export async function removeStaleTemps(path: string): Promise<number> {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp')) continue;
    const pid = Number(n.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || pidRuns(pid)) continue;
    try {
      await rm(join(dirname(path), n), { force: true });
      removed++;
    } catch {
      // not ours to remove after all (permissions): leave it
    }
  }
  return removed;
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

export async function readOwnershipRecord(path: string): Promise<RecordRead> {
  await removeStaleTemps(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const errno = (e as { code?: string }).code;
    if (errno === 'ENOENT')
      return { ok: false, code: 'OWNERSHIP_RECORD_MISSING', reason: `${path} does not exist` };
    return {
      ok: false,
      code: 'OWNERSHIP_RECORD_UNREADABLE',
      reason: `${path}: ${(e as Error).message}`,
    };
  }
  const r = decodeOwnershipRecord(text);
  return r.ok ? r : { ...r, reason: `${path}: ${r.reason}` };
}

export async function writeOwnershipRecord(path: string, keys: readonly string[]): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(encodeOwnershipRecord(keys), 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new OwnershipWriteError(path, e);
  }
  // the rename itself survives a power cut only once the directory is on disk
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // some filesystems refuse fsync on a directory; the record is written all the same
  }
}

export const fileOwnershipStore: OwnershipStore = {
  read: readOwnershipRecord,
  write: writeOwnershipRecord,
};
