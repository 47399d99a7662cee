// Messages between the daemon's main thread and the VRRP engine worker.
import type { SetDiff } from '../config/diff.js';
import type { Config } from '../config/model.js';
import type { LogLevel } from '../log.js';
import type { EngineSnapshot, ReloadResult } from './engine.js';
import type { VrrpState } from './fsm.js';

export type ToWorker =
  /** `instances`: the engine's slice of the reload's diff, computed once in the main thread */
  | { type: 'reload'; config: Config; instances: SetDiff; id: number }
  | { type: 'script-result'; name: string; ok: boolean }
  /** a track_file's number or a track_process's quorum */
  | { type: 'tracker-value'; kind: 'file' | 'process'; name: string; value: number | boolean }
  | { type: 'snapshot'; id: number }
  | { type: 'shutdown' }
  /**
   * The main thread handles SIGTERM/SIGINT now: the worker may hear them itself too (its
   * own stop sends the priority-0 adverts at once). Not before: a worker stopped by a
   * signal the main thread ignores would leave a process without an engine.
   */
  | { type: 'arm-signals' }
  // Test-only (VRRPD_TEST_HOOKS=1, see WorkerData.testHooks): busy-wait the engine's loop.
  | { type: 'debug-stall'; ms: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string; code?: string }
  | { type: 'log'; level: LogLevel; obj: Record<string, unknown>; msg?: string }
  | { type: 'state-change'; instance: string; from: VrrpState; to: VrrpState; reason: string }
  /**
   * How late the heartbeat timer fired, in seconds, one value per beat since the last
   * message: sent every few seconds, or at once for a beat late enough to matter (the
   * heartbeat itself is a shared timestamp, WorkerData.beat: no message per beat).
   */
  | { type: 'lateness'; seconds: number[] }
  | { type: 'snapshot'; id: number; snapshot: EngineSnapshot }
  | {
      type: 'reloaded';
      id: number;
      result?: ReloadResult;
      error?: string;
    }
  | { type: 'stopped' };

export interface WorkerData {
  config: Config;
  /** how often the engine loop reports that it is alive (for the systemd watchdog) */
  heartbeatMs: number;
  /**
   * The engine loop's last heartbeat, CLOCK_MONOTONIC in ns (process.hrtime.bigint(), the
   * same clock in every thread), in a BigInt64Array of one over this buffer: the main
   * thread reads it when it needs it instead of being woken by a message per beat.
   */
  beat?: SharedArrayBuffer;
  /**
   * Test hooks on (`vrrpd run` with VRRPD_TEST_HOOKS=1 only): the worker obeys
   * 'debug-stall'. Off, it ignores the message, whoever sends it.
   */
  testHooks?: boolean;
}
