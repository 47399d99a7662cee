// AgentX (RFC 2741) PDUs a subagent exchanges with net-snmp's snmpd: pure encoders for what
// the subagent sends (Open, Close, Register, Notify, Ping, Response) and a decoder for what
// the master sends (Response, Get, GetNext, GetBulk, the Set phases). SNMP itself (BER,
// communities, USM, UDP) stays in snmpd: vrrpd is never an SNMP agent.
//
// Hand-written rather than net-snmp's (npm) Subagent, whose AgentX codec writes octet
// strings as UTF-8 text (an IPv4 address byte >= 0x80 becomes two bytes), drops a search
// range's `include` flag and upper bound, and reads one PDU per socket chunk.

/** RFC 2741 §6.1 h.type */
export const PduType = {
  open: 1,
  close: 2,
  register: 3,
  unregister: 4,
  get: 5,
  getNext: 6,
  getBulk: 7,
  testSet: 8,
  commitSet: 9,
  undoSet: 10,
  cleanupSet: 11,
  notify: 12,
  ping: 13,
  indexAllocate: 14,
  indexDeallocate: 15,
  addAgentCaps: 16,
  removeAgentCaps: 17,
  response: 18,
} as const;

/** RFC 2741 §6.1 h.flags */
const FLAG_NON_DEFAULT_CONTEXT = 0x08;
const FLAG_NETWORK_BYTE_ORDER = 0x10;
export const HEADER_LENGTH = 20;

/** RFC 2741 §6.2.2 close reasons */
export const CloseReason = { other: 1, parseError: 2, protocolError: 3, timeouts: 4, shutdown: 5 } as const;

/** res.error values (RFC 2741 §6.2.16): the SNMP ones a subagent returns, and the master's own. */
export const ResponseError = {
  noError: 0,
  genErr: 5,
  noAccess: 6,
  notWritable: 17,
  commitFailed: 14,
  undoFailed: 15,
  openFailed: 256,
  notOpen: 257,
  duplicateRegistration: 263,
  unknownRegistration: 264,
  parseError: 266,
  requestDenied: 267,
  processingError: 268,
} as const;

export type Oid = readonly number[];

/** RFC 2741 §5.4 value types */
export type VarValue =
  | { type: 'integer'; value: number }
  | { type: 'octets'; value: Buffer }
  | { type: 'null' }
  | { type: 'oid'; value: Oid }
  | { type: 'counter32' | 'gauge32' | 'timeticks'; value: number }
  | { type: 'counter64'; value: bigint }
  | { type: 'noSuchObject' | 'noSuchInstance' | 'endOfMibView' };

export interface VarBind {
  oid: Oid;
  value: VarValue;
}

const TYPE_CODE = {
  integer: 2,
  octets: 4,
  null: 5,
  oid: 6,
  counter32: 65,
  gauge32: 66,
  timeticks: 67,
  counter64: 70,
  noSuchObject: 128,
  noSuchInstance: 129,
  endOfMibView: 130,
} as const satisfies Record<VarValue['type'], number>;
const TYPE_OF_CODE = new Map<number, VarValue['type']>(
  Object.entries(TYPE_CODE).map(([k, v]) => [v, k as VarValue['type']]),
);

export interface Header {
  type: number;
  flags: number;
  sessionId: number;
  transactionId: number;
  packetId: number;
}

export interface SearchRange {
  start: Oid;
  /** RFC 2741 §5.2: the start itself may be returned */
  include: boolean;
  /** exclusive upper bound; empty = none */
  end: Oid;
}

export type Pdu =
  | { kind: 'response'; header: Header; sysUpTime: number; error: number; index: number; varbinds: VarBind[] }
  | { kind: 'get' | 'getNext'; header: Header; context: Buffer | null; ranges: SearchRange[] }
  | {
      kind: 'getBulk';
      header: Header;
      context: Buffer | null;
      nonRepeaters: number;
      maxRepetitions: number;
      ranges: SearchRange[];
    }
  | { kind: 'testSet' | 'notify'; header: Header; context: Buffer | null; varbinds: VarBind[] }
  | { kind: 'commitSet' | 'undoSet' | 'cleanupSet' | 'close' | 'other'; header: Header };

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Whole length of the PDU at the start of buf (header + payload), or null until 20 bytes are in. */
export function frameLength(buf: Buffer): number | null {
  if (buf.length < HEADER_LENGTH) return null;
  const big = (buf[2]! & FLAG_NETWORK_BYTE_ORDER) !== 0;
  return HEADER_LENGTH + (big ? buf.readUInt32BE(16) : buf.readUInt32LE(16));
}

// --- encoding (always network byte order) ---

class Writer {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private push(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  u8(...v: number[]): this {
    return this.push(Buffer.from(v));
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, v));
    return this.push(b);
  }
  /** RFC 2741 §5.1: n_subid, prefix, include, reserved, then the sub-identifiers */
  oid(oid: Oid, include = false): this {
    const prefixed =
      oid.length >= 5 && oid[0] === 1 && oid[1] === 3 && oid[2] === 6 && oid[3] === 1 && oid[4]! <= 255;
    const rest = prefixed ? oid.slice(5) : oid;
    this.u8(rest.length, prefixed ? oid[4]! : 0, include ? 1 : 0, 0);
    for (const s of rest) this.u32(s);
    return this;
  }
  /** RFC 2741 §5.3: length, octets, padding to a multiple of 4 */
  octets(b: Buffer): this {
    this.u32(b.length).push(b);
    return this.push(Buffer.alloc((4 - (b.length % 4)) % 4));
  }
  varbind(vb: VarBind): this {
    const v = vb.value;
    this.u16(TYPE_CODE[v.type]).u16(0).oid(vb.oid);
    switch (v.type) {
      case 'integer':
        return this.i32(v.value);
      case 'octets':
        return this.octets(v.value);
      case 'oid':
        return this.oid(v.value);
      case 'counter32':
      case 'gauge32':
      case 'timeticks':
        return this.u32(v.value);
      case 'counter64':
        return this.u64(v.value);
      default:
        return this; // null, noSuchObject, noSuchInstance, endOfMibView carry no data
    }
  }
  done(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

function pdu(type: number, h: Partial<Header>, payload: Writer | null, flags = 0): Buffer {
  const body = payload?.done() ?? Buffer.alloc(0);
  const head = new Writer()
    .u8(1, type, flags | FLAG_NETWORK_BYTE_ORDER, 0)
    .u32(h.sessionId ?? 0)
    .u32(h.transactionId ?? 0)
    .u32(h.packetId ?? 0)
    .u32(body.length)
    .done();
  return Buffer.concat([head, body]);
}

/** RFC 2741 §6.2.1 */
export function encodeOpen(o: { packetId: number; timeoutS: number; id: Oid; descr: string }): Buffer {
  const w = new Writer().u8(o.timeoutS, 0, 0, 0).oid(o.id).octets(Buffer.from(o.descr, 'utf8'));
  return pdu(PduType.open, { packetId: o.packetId }, w);
}

/** RFC 2741 §6.2.2 */
export function encodeClose(o: { sessionId: number; packetId: number; reason: number }): Buffer {
  return pdu(PduType.close, o, new Writer().u8(o.reason, 0, 0, 0));
}

/** RFC 2741 §6.2.3: one subtree, no range, default context */
export function encodeRegister(o: {
  sessionId: number;
  packetId: number;
  timeoutS: number;
  priority: number;
  subtree: Oid;
}): Buffer {
  return pdu(PduType.register, o, new Writer().u8(o.timeoutS, o.priority, 0, 0).oid(o.subtree));
}

/** RFC 2741 §6.2.10: snmpTrapOID.0 first (snmpd adds its own sysUpTime.0), then the objects */
export function encodeNotify(o: { sessionId: number; packetId: number; varbinds: VarBind[] }): Buffer {
  const w = new Writer();
  for (const vb of o.varbinds) w.varbind(vb);
  return pdu(PduType.notify, o, w);
}

/** RFC 2741 §6.2.13 */
export function encodePing(o: { sessionId: number; packetId: number }): Buffer {
  return pdu(PduType.ping, o, null);
}

/** RFC 2741 §6.2.16; transaction and packet ids echo the request's */
export function encodeResponse(o: {
  header: Pick<Header, 'sessionId' | 'transactionId' | 'packetId'>;
  sysUpTime?: number;
  error?: number;
  index?: number;
  varbinds?: VarBind[];
}): Buffer {
  const w = new Writer()
    .u32(o.sysUpTime ?? 0)
    .u16(o.error ?? 0)
    .u16(o.index ?? 0);
  for (const vb of o.varbinds ?? []) w.varbind(vb);
  return pdu(PduType.response, o.header, w);
}

/** A master's Get/GetNext/GetBulk (the decoder's counterpart, for tests). */
export function encodeRequest(o: {
  type: typeof PduType.get | typeof PduType.getNext | typeof PduType.getBulk;
  header: Pick<Header, 'sessionId' | 'transactionId' | 'packetId'>;
  ranges: SearchRange[];
  nonRepeaters?: number;
  maxRepetitions?: number;
}): Buffer {
  const w = new Writer();
  if (o.type === PduType.getBulk) w.u16(o.nonRepeaters ?? 0).u16(o.maxRepetitions ?? 0);
  for (const r of o.ranges) w.oid(r.start, r.include).oid(r.end);
  return pdu(o.type, o.header, w);
}

// --- decoding (either byte order, as the sender's flag says) ---

class Reader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly big: boolean,
    private readonly end: number,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError('PDU shorter than its contents');
  }
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.big ? this.buf.readUInt16BE(this.pos) : this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.big ? this.buf.readUInt32BE(this.pos) : this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.big ? this.buf.readInt32BE(this.pos) : this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.big ? this.buf.readBigUInt64BE(this.pos) : this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  oid(): { oid: number[]; include: boolean } {
    const n = this.u8();
    const prefix = this.u8();
    const include = this.u8() !== 0;
    this.u8();
    const oid = prefix ? [1, 3, 6, 1, prefix] : [];
    for (let i = 0; i < n; i++) oid.push(this.u32());
    return { oid, include };
  }
  octets(): Buffer {
    const n = this.u32();
    this.need(n);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n + ((4 - (n % 4)) % 4);
    if (this.pos > this.end) throw new RangeError('octet string padding runs past the PDU');
    return b;
  }
  varbind(): VarBind {
    const code = this.u16();
    this.u16();
    const { oid } = this.oid();
    const type = TYPE_OF_CODE.get(code);
    switch (type) {
      case 'integer':
        return { oid, value: { type, value: this.i32() } };
      case 'octets':
        return { oid, value: { type, value: this.octets() } };
      case 'oid':
        return { oid, value: { type, value: this.oid().oid } };
      case 'counter32':
      case 'gauge32':
      case 'timeticks':
        return { oid, value: { type, value: this.u32() } };
      case 'counter64':
        return { oid, value: { type, value: this.u64() } };
      case 'null':
      case 'noSuchObject':
      case 'noSuchInstance':
      case 'endOfMibView':
        return { oid, value: { type } };
      default:
        throw new RangeError(`unsupported varbind type ${code}`);
    }
  }
  varbinds(): VarBind[] {
    const out: VarBind[] = [];
    while (this.left > 0) out.push(this.varbind());
    return out;
  }
  ranges(): SearchRange[] {
    const out: SearchRange[] = [];
    while (this.left > 0) {
      const s = this.oid();
      out.push({ start: s.oid, include: s.include, end: this.oid().oid });
    }
    return out;
  }
}

/** Decodes one whole PDU (as cut by frameLength). */
export function decodePdu(buf: Buffer): Decoded<Pdu> {
  const total = frameLength(buf);
  if (total === null) return { ok: false, reason: 'shorter than the AgentX header' };
  if (buf.length < total) return { ok: false, reason: 'shorter than its payload length' };
  if (buf[0] !== 1) return { ok: false, reason: `AgentX version ${buf[0]} (only 1 exists)` };
  const flags = buf[2]!;
  const r = new Reader(buf, (flags & FLAG_NETWORK_BYTE_ORDER) !== 0, total);
  r.pos = 4;
  const header: Header = {
    type: buf[1]!,
    flags,
    sessionId: r.u32(),
    transactionId: r.u32(),
    packetId: r.u32(),
  };
  r.u32();
  try {
    const context = () => (flags & FLAG_NON_DEFAULT_CONTEXT ? r.octets() : null);
    switch (header.type) {
      case PduType.response: {
        const sysUpTime = r.u32();
        const error = r.u16();
        const index = r.u16();
        return {
          ok: true,
          value: { kind: 'response', header, sysUpTime, error, index, varbinds: r.varbinds() },
        };
      }
      case PduType.get:
      case PduType.getNext: {
        const kind = header.type === PduType.get ? 'get' : 'getNext';
        const ctx = context();
        return { ok: true, value: { kind, header, context: ctx, ranges: r.ranges() } };
      }
      case PduType.getBulk: {
        const ctx = context();
        const nonRepeaters = r.u16();
        const maxRepetitions = r.u16();
        return {
          ok: true,
          value: { kind: 'getBulk', header, context: ctx, nonRepeaters, maxRepetitions, ranges: r.ranges() },
        };
      }
      case PduType.testSet:
      case PduType.notify: {
        const kind = header.type === PduType.testSet ? 'testSet' : 'notify';
        const ctx = context();
        return { ok: true, value: { kind, header, context: ctx, varbinds: r.varbinds() } };
      }
      case PduType.commitSet:
        return { ok: true, value: { kind: 'commitSet', header } };
      case PduType.undoSet:
        return { ok: true, value: { kind: 'undoSet', header } };
      case PduType.cleanupSet:
        return { ok: true, value: { kind: 'cleanupSet', header } };
      case PduType.close:
        return { ok: true, value: { kind: 'close', header } };
      default:
        return { ok: true, value: { kind: 'other', header } };
    }
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** Lexicographic order of OIDs (RFC 2578 §7.7 ordering of instances). */
export function compareOid(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export const oidText = (oid: Oid): string => oid.join('.');
