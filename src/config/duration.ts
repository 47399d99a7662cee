// Durations as operators write them: `10ms`, `1s`, `1.5s`, `2m`, `1h`, or a plain number
// of seconds (as keepalived takes them). The model keeps milliseconds.

export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h)?$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds (rounded to a whole millisecond), or null when the text is not a duration. */
export function parseDurationMs(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null;
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!DURATION_RE.test(text)) return null;
  const m = text.match(/^([0-9.]+)\s*([a-z]*)$/);
  if (!m) return null;
  const unit = m[2] === '' ? 's' : (m[2] as string);
  const ms = Number(m[1]) * (UNIT_MS[unit] ?? Number.NaN);
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/** The shortest exact text for a number of milliseconds (`1500` → `1.5s`). */
export function formatDurationMs(ms: number): string {
  if (ms % 1000 !== 0 || ms === 0) return ms === 0 ? '0s' : ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
