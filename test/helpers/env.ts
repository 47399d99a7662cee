// Shared guards for tests that need root, a command or a kernel feature.
// Locally a missing prerequisite skips the test with a message; in CI (CI=true)
// .ci/run installs everything, so a missing prerequisite fails loudly instead.
import { execFileSync } from 'node:child_process';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns a reason string when the prerequisites are missing, or null when all is there.
 * In CI it throws instead, so the suite fails rather than skipping.
 */
export function missing(opts: { root?: boolean; commands?: string[] }): string | null {
  const reasons: string[] = [];
  if (opts.root && !isRoot()) reasons.push('needs root');
  for (const c of opts.commands ?? []) if (!hasCommand(c)) reasons.push(`needs the '${c}' command`);
  if (reasons.length === 0) return null;
  const why = reasons.join(', ');
  if (inCI) throw new Error(`test prerequisite missing in CI: ${why}`);
  console.warn(`skipping: ${why}`);
  return why;
}
