// Group name <-> gid lookups for the control socket's `control_group`.
// Node has no getgrnam(); /etc/group is the source on the systems vrrpd targets
// (a group only in LDAP/sssd must be given as a number).
import { readFileSync } from 'node:fs';

export interface GroupEntry {
  name: string;
  gid: number;
}

/** Parses /etc/group text (name:password:gid:members). Pure. */
export function parseGroupFile(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, , gidText] = line.split(':');
    if (name === undefined || gidText === undefined || !/^\d+$/.test(gidText)) continue;
    out.push({ name, gid: Number(gidText) });
  }
  return out;
}

function readGroups(file: string): GroupEntry[] {
  try {
    return parseGroupFile(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

/** Resolves a group name or numeric gid; throws an error with code CONTROL_BAD_GROUP if unknown. */
export function resolveGroup(group: string | number, file = '/etc/group'): number {
  if (typeof group === 'number' || /^\d+$/.test(group)) return Number(group);
  const hit = readGroups(file).find((g) => g.name === group);
  if (!hit) {
    throw Object.assign(new Error(`control group '${group}' does not exist (not found in ${file})`), {
      code: 'CONTROL_BAD_GROUP',
    });
  }
  return hit.gid;
}

/** Name of a gid, or null when /etc/group does not know it. */
export function groupName(gid: number, file = '/etc/group'): string | null {
  return readGroups(file).find((g) => g.gid === gid)?.name ?? null;
}
