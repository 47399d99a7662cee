// The record of which IPVS virtual services vrrpd owns, kept across restarts
// (OWNERSHIP.md rule 4). A service dropped from the config while vrrpd was stopped
// can only be told apart from one made by hand if vrrpd wrote down, in its last run,
// that it owned it. Pure: encoding, decoding and the decisions; the file I/O is in
// effects/ownership-file.ts and the controller glue in ownership-tracker.ts.

/** Bumped on any incompatible change; a record of another version is ignored. */
export const OWNERSHIP_RECORD_VERSION = 1;

export type OwnershipProblemCode =
  | 'OWNERSHIP_RECORD_MISSING'
  | 'OWNERSHIP_RECORD_UNREADABLE'
  | 'OWNERSHIP_RECORD_CORRUPT'
  | 'OWNERSHIP_RECORD_VERSION'
  | 'OWNERSHIP_RECORD_UNWRITABLE';

export type RecordRead =
  | { ok: true; keys: ReadonlySet<string> }
  | { ok: false; code: OwnershipProblemCode; reason: string };

/** Where the controller keeps its record; tests use an in-memory one. */
export interface OwnershipStore {
  read(path: string): Promise<RecordRead>;
  /** Throws an OwnershipWriteError. */
  write(path: string, keys: readonly string[]): Promise<void>;
}

export class OwnershipWriteError extends Error {
  readonly code = 'OWNERSHIP_RECORD_UNWRITABLE';
  /** errno name of the failed step (EACCES, EROFS, ENOSPC...) */
  readonly errno: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const errno = (cause as { code?: string }).code;
    super(
      `cannot write the IPVS ownership record ${path}: ${cause instanceof Error ? cause.message : String(cause)}` +
        (errno === 'EROFS' || errno === 'EACCES' || errno === 'EPERM'
          ? ' (with systemd, StateDirectory=vrrpd makes /var/lib/vrrpd writable)'
          : ''),
    );
    this.name = 'OwnershipWriteError';
    this.errno = errno;
  }
}

// The forms serviceKey() makes: "tcp:192.0.2.10:80", "udp:[2001:db8::1]:53", "fwmark:4:7".
const SERVICE_KEY =
  /^(?:(?:tcp|udp|sctp):(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d{1,5}|fwmark:[46]:\d{1,10})$/;

export function isServiceKey(s: string): boolean {
  return SERVICE_KEY.test(s);
}

/** The file's text: `{"version": 1, "services": [keys, sorted]}` and a newline. */
export function encodeOwnershipRecord(keys: Iterable<string>): string {
  const services = [...new Set(keys)].sort();
  return `${JSON.stringify({ version: OWNERSHIP_RECORD_VERSION, services }, null, 2)}\n`;
}

/**
 * Parses a record. Anything doubtful (not JSON, another version, a key that is not a
 * service key) gives no record at all: deleting on the word of a damaged file could
 * remove a service vrrpd never owned.
 */
export function decodeOwnershipRecord(text: string): RecordRead {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, code: 'OWNERSHIP_RECORD_CORRUPT', reason: `not JSON (${(e as Error).message})` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, code: 'OWNERSHIP_RECORD_CORRUPT', reason: 'not a JSON object' };
  const o = data as Record<string, unknown>;
  if (o.version !== OWNERSHIP_RECORD_VERSION)
    return {
      ok: false,
      code: 'OWNERSHIP_RECORD_VERSION',
      reason: `format version ${JSON.stringify(o.version)}, this vrrpd reads version ${OWNERSHIP_RECORD_VERSION}`,
    };
  if (!Array.isArray(o.services))
    return { ok: false, code: 'OWNERSHIP_RECORD_CORRUPT', reason: '"services" is not a list' };
  const keys = new Set<string>();
  for (const k of o.services) {
    if (typeof k !== 'string' || !isServiceKey(k))
      return {
        ok: false,
        code: 'OWNERSHIP_RECORD_CORRUPT',
        reason: `${JSON.stringify(k)} is not a virtual service key`,
      };
    keys.add(k);
  }
  return { ok: true, keys };
}

/**
 * Services to delete at start: in the record of the last run (so vrrpd owned them),
 * still in the kernel, and no longer in the config. A service never recorded is never
 * returned, whatever the kernel holds (rule 2). Sorted.
 */
export function staleServices(
  recorded: ReadonlySet<string>,
  configured: ReadonlySet<string>,
  kernel: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): string[] {
  return [...recorded].filter((k) => kernel.has(k) && !configured.has(k)).sort();
}

/**
 * The record to write after a pass: the config's services plus the services vrrpd
 * still has to delete (a stale or reload-dropped service whose deletion failed and
 * that the kernel still holds), so that the next start tries again. Sorted.
 */
export function recordAfterPass(configured: Iterable<string>, stillToDelete: Iterable<string>): string[] {
  return [...new Set([...configured, ...stillToDelete])].sort();
}
