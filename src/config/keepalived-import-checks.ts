// keepalived's UDP_CHECK, DNS_CHECK, SMTP_CHECK, PING_CHECK and FILE_CHECK → vrrpd check
// types, and the keepalived defaults of those checkers that differ from vrrpd's
// check_defaults (the importer writes keepalived's value out).

export const MORE_CHECKS: Record<string, string> = {
  SMTP_CHECK: 'smtp',
  DNS_CHECK: 'dns',
  UDP_CHECK: 'udp',
  PING_CHECK: 'ping',
  FILE_CHECK: 'file',
};
export const MORE_CHECK_TYPES: Record<string, string> = Object.fromEntries(
  Object.entries(MORE_CHECKS).map(([k, v]) => [v, k]),
);

/**
 * keepalived: connect_timeout 5 s for every network checker (vrrpd 1 s); DNS_CHECK retries
 * 3 times (vrrpd 1), its delay_before_retry is delay_loop (written by the importer once it
 * knows delay_loop); FILE_CHECK has no timing of its own (it follows the file by inotify).
 */
export function moreCheckerDefaults(type: string): Record<string, unknown> {
  if (type === 'dns') return { timeout: '5s', retry: 3 };
  if (type === 'file') return {};
  return { timeout: '5s' };
}

export function moreDefaultText(type: string, key: string): string | undefined {
  if (type === 'dns' && key === 'retry') return 'retry 3 (DNS_CHECK)';
  return undefined;
}
