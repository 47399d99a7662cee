// Plain-words narration for `vrrpd lab`: every line stamped with the time since the lab
// started (monotonic), indented blocks for tables.

export interface Narrator {
  /** milliseconds since the lab started */
  elapsedMs(): number;
  say(text: string): void;
  /** A multi-line block (a status table), indented under the last line. */
  block(text: string): void;
}

export function createNarrator(
  write: (s: string) => void,
  now: () => number = () => performance.now(),
): Narrator {
  const t0 = now();
  const stamp = () => `[${((now() - t0) / 1000).toFixed(3).padStart(7)}s]`;
  return {
    elapsedMs: () => now() - t0,
    say: (text) => write(`${stamp()} ${text}\n`),
    block: (text) => {
      const lines = text.replace(/\n+$/, '').split('\n');
      write(`${lines.map((l) => `            ${l}`).join('\n')}\n`);
    },
  };
}

/** "0.361 s" */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}
