// Generic netlink (linux/genetlink.h): the 4-byte genlmsghdr every family's messages
// start with, and the controller family (GENL_ID_CTRL) that maps a family name such as
// "IPVS" to the message type id the kernel assigned it at module load.
// Pure encode/decode; resolveFamily() takes any requester (NetlinkClient.request fits).
import { type AttrValues, decodeAttrs, encodeAttrs } from './attrs.js';
import type { NlMessage } from './message.js';

/** struct genlmsghdr: cmd u8, version u8, reserved u16 */
export const GENL_HDRLEN = 4;
/** the controller's fixed family id */
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_VERSION = 2;

/** CTRL_ATTR_* (linux/genetlink.h) */
export const CTRL_ATTR = {
  CTRL_ATTR_FAMILY_ID: { type: 1, kind: 'u16' },
  CTRL_ATTR_FAMILY_NAME: { type: 2, kind: 'string' },
  CTRL_ATTR_VERSION: { type: 3, kind: 'u32' },
  CTRL_ATTR_HDRSIZE: { type: 4, kind: 'u32' },
  CTRL_ATTR_MAXATTR: { type: 5, kind: 'u32' },
} as const;

export interface GenlMessage {
  cmd: number;
  version: number;
  /** the attributes after the genl header */
  attrs: Buffer;
}

/** genlmsghdr + attributes (the payload of one netlink message). */
export function encodeGenl(cmd: number, version: number, attrs: Buffer): Buffer {
  const out = Buffer.alloc(GENL_HDRLEN + attrs.length);
  out.writeUInt8(cmd, 0);
  out.writeUInt8(version, 1);
  attrs.copy(out, GENL_HDRLEN);
  return out;
}

export function decodeGenl(payload: Buffer): GenlMessage | { error: string } {
  if (payload.length < GENL_HDRLEN) {
    return { error: `generic netlink payload of ${payload.length} bytes is shorter than its 4-byte header` };
  }
  return { cmd: payload.readUInt8(0), version: payload.readUInt8(1), attrs: payload.subarray(GENL_HDRLEN) };
}

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  maxAttr: number;
}

export function encodeGetFamily(name: string): Buffer {
  return encodeGenl(
    CTRL_CMD_GETFAMILY,
    CTRL_VERSION,
    encodeAttrs(CTRL_ATTR, { CTRL_ATTR_FAMILY_NAME: name }),
  );
}

export function decodeFamily(m: NlMessage): GenlFamily | { error: string } {
  const g = decodeGenl(m.payload);
  if ('error' in g) return g;
  const a: AttrValues<typeof CTRL_ATTR> = decodeAttrs(CTRL_ATTR, g.attrs);
  if (a.CTRL_ATTR_FAMILY_ID === undefined || a.CTRL_ATTR_FAMILY_NAME === undefined) {
    return { error: 'controller reply without a family id or name' };
  }
  return {
    id: a.CTRL_ATTR_FAMILY_ID,
    name: a.CTRL_ATTR_FAMILY_NAME,
    version: a.CTRL_ATTR_VERSION ?? 0,
    maxAttr: a.CTRL_ATTR_MAXATTR ?? 0,
  };
}

export type GenlRequester = (
  type: number,
  flags: number,
  payload: Buffer,
  describe: string,
) => Promise<NlMessage[]>;

/** Error for a family the kernel does not have (the controller answers ENOENT). */
export class GenlFamilyMissingError extends Error {
  readonly code = 'NETLINK_FAMILY_MISSING';
  constructor(
    readonly family: string,
    hint: string,
  ) {
    super(`the kernel has no generic netlink family '${family}'${hint ? `: ${hint}` : ''}`);
    this.name = 'GenlFamilyMissingError';
  }
}

/**
 * Asks the controller for a family by name. `hint` is appended when it is missing
 * (e.g. "modprobe ip_vs"); other errors pass through as the requester raised them.
 */
export async function resolveFamily(request: GenlRequester, name: string, hint = ''): Promise<GenlFamily> {
  let replies: NlMessage[];
  try {
    replies = await request(GENL_ID_CTRL, 0, encodeGetFamily(name), `look up generic netlink family ${name}`);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw new GenlFamilyMissingError(name, hint);
    throw e;
  }
  for (const m of replies) {
    const f = decodeFamily(m);
    if (!('error' in f) && f.name === name) return f;
  }
  throw new GenlFamilyMissingError(name, hint);
}
