// keepalived's notify FIFOs: created when absent (mkfifo, mode 0600), opened read-write and
// non-blocking so that opening never waits for a reader and a write never blocks the daemon.
// (node opens every file O_CLOEXEC). Each line goes in one write(2) of under PIPE_BUF bytes, so it arrives whole and in order;
// when the FIFO is full (nobody reads) the line is dropped and the caller counts it.

import { execFileSync } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { FifoWriter } from './types.js';

/** Opens (creating when absent) the FIFO at `path`; throws with the reason when it cannot. */
export function openNotifyFifo(path: string): FifoWriter {
  let created = false;
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (st === undefined) {
    // node has no mkfifo(3); coreutils' mkfifo is one fork at start or reload
    execFileSync('mkfifo', ['-m', '0600', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    created = true;
  } else if (!st.isFIFO()) {
    throw new Error(`${path} exists and is not a FIFO`);
  }
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  let open = true;
  return {
    path,
    write(line) {
      if (!open) return false;
      try {
        writeSync(fd, line);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        throw err;
      }
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
      if (created) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}
