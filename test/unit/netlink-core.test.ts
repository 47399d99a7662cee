import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttrSchema,
  decodeAttrs,
  encodeAttr,
  encodeAttrs,
  iterateAttrs,
  NLA_F_NESTED,
  NLA_F_NET_BYTEORDER,
  UNKNOWN_ATTRS,
} from '../../src/netlink/attrs.js';
import {
  decodeError,
  decodeMessages,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
} from '../../src/netlink/message.js';

describe('netlink message framing', () => {
  it('encodes a header in host order and pads to 4 bytes', () => {
    const b = encodeMessage({
      type: 0x12,
      flags: NLM_F_REQUEST | NLM_F_DUMP,
      seq: 7,
      pid: 0,
      payload: Buffer.from([1]),
    });
    expect(b.length).toBe(20);
    expect(b.readUInt32LE(0)).toBe(17); // nlmsg_len excludes padding
    expect(b.readUInt16LE(4)).toBe(0x12);
    expect(b.readUInt16LE(6)).toBe(0x301);
    expect(b.readUInt32LE(8)).toBe(7);
  });

  it('round-trips several messages in one datagram (fresh, re-encoded, at an offset)', () => {
    const msgs: NlMessage[] = [
      { type: 16, flags: 2, seq: 1, pid: 99, payload: Buffer.from([1, 2, 3]) },
      { type: NLMSG_DONE, flags: 2, seq: 1, pid: 99, payload: Buffer.alloc(4) },
    ];
    const dg = Buffer.concat(msgs.map(encodeMessage));
    const back = decodeMessages(dg) as NlMessage[];
    expect(back).toHaveLength(2);
    expect(back[0]).toEqual(msgs[0]);
    expect(back[1]).toEqual(msgs[1]);
    expect(Buffer.concat(back.map(encodeMessage))).toEqual(dg);
    const shifted = Buffer.concat([Buffer.alloc(8, 0xee), dg]).subarray(8);
    expect(decodeMessages(shifted)).toEqual(back);
  });

  it('reports malformed datagrams without throwing', () => {
    expect(decodeMessages(Buffer.alloc(3))).toHaveProperty('error');
    const bad = encodeMessage({ type: 16, flags: 0, seq: 0, pid: 0, payload: Buffer.alloc(8) });
    bad.writeUInt32LE(200, 0);
    expect(decodeMessages(bad)).toHaveProperty('error');
    bad.writeUInt32LE(4, 0);
    expect(decodeMessages(bad)).toHaveProperty('error');
    expect(decodeMessages(Buffer.alloc(0))).toEqual([]);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (a) => {
        const r = decodeMessages(Buffer.from(a));
        expect(Array.isArray(r) || typeof r.error === 'string').toBe(true);
        if (Array.isArray(r)) for (const m of r) decodeError(m);
      }),
    );
  });

  it('decodes an NLMSG_ERROR with extended ack text', () => {
    const orig = encodeMessage({
      type: 20,
      flags: NLM_F_REQUEST | NLM_F_ACK,
      seq: 5,
      pid: 0,
      payload: Buffer.alloc(8),
    });
    const err = Buffer.alloc(4);
    err.writeInt32LE(-17, 0);
    const tlv = encodeAttr(1, Buffer.from('Address already assigned\0'));
    const m: NlMessage = {
      type: NLMSG_ERROR,
      flags: NLM_F_ACK_TLVS,
      seq: 5,
      pid: 1,
      payload: Buffer.concat([err, orig, tlv]),
    };
    expect(decodeError(m)).toEqual({
      errno: 17,
      request: { type: 20, flags: 5, seq: 5, pid: 0 },
      message: 'Address already assigned',
    });
  });
});

const INNER = {
  IFLA_MACVLAN_MODE: { type: 1, kind: 'u32' },
} as const satisfies AttrSchema;
const SCHEMA = {
  A_U8: { type: 1, kind: 'u8' },
  A_U16: { type: 2, kind: 'u16' },
  A_U32: { type: 3, kind: 'u32' },
  A_U64: { type: 4, kind: 'u64' },
  A_BE16: { type: 5, kind: 'be16' },
  A_BE32: { type: 6, kind: 'be32' },
  A_STR: { type: 7, kind: 'string' },
  A_BIN: { type: 8, kind: 'binary' },
  A_IP: { type: 9, kind: 'ip' },
  A_FLAG: { type: 10, kind: 'flag' },
  A_NEST: { type: 11, kind: 'nested', schema: INNER },
  A_MAC: { type: 12, kind: 'mac' },
  A_S32: { type: 13, kind: 's32' },
} as const satisfies AttrSchema;

describe('netlink attributes', () => {
  it('round-trips every kind', () => {
    const v = {
      A_U8: 200,
      A_U16: 0xbeef,
      A_U32: 0xdeadbeef,
      A_U64: 2n ** 60n + 5n,
      A_BE16: 8080,
      A_BE32: 0x01020304,
      A_STR: 'eth0',
      A_BIN: Buffer.from([9, 8, 7]),
      A_IP: '2001:db8::1',
      A_FLAG: true,
      A_NEST: { IFLA_MACVLAN_MODE: 4 },
      A_MAC: '00:00:5e:00:01:07',
      A_S32: -5,
    };
    const b = encodeAttrs(SCHEMA, v);
    expect(b.length % 4).toBe(0);
    const d = decodeAttrs(SCHEMA, b);
    expect(d).toEqual(v);
    expect(encodeAttrs(SCHEMA, d)).toEqual(b);
    // typed access
    const mode: number | undefined = d.A_NEST?.IFLA_MACVLAN_MODE;
    expect(mode).toBe(4);
  });

  it('lays out a string with NUL and padding, be16 in network order, nested with NLA_F_NESTED', () => {
    expect(encodeAttrs(SCHEMA, { A_STR: 'eth0' })).toEqual(
      Buffer.from([9, 0, 7, 0, 0x65, 0x74, 0x68, 0x30, 0, 0, 0, 0]),
    );
    expect(encodeAttrs(SCHEMA, { A_BE16: 80 })).toEqual(Buffer.from([6, 0, 5, 0, 0, 80, 0, 0]));
    const n = encodeAttrs(SCHEMA, { A_NEST: {} });
    expect(n.readUInt16LE(2)).toBe(11 | NLA_F_NESTED);
    expect(encodeAttrs(SCHEMA, { A_FLAG: false })).toEqual(Buffer.alloc(0));
  });

  it('honours NLA_F_NET_BYTEORDER on receive', () => {
    const d = Buffer.alloc(4);
    d.writeUInt32BE(0x0a000001, 0);
    expect(decodeAttrs(SCHEMA, encodeAttr(3 | NLA_F_NET_BYTEORDER, d)).A_U32).toBe(0x0a000001);
  });

  it('keeps unknown and misfit attributes under _unknown and re-emits them', () => {
    const b = Buffer.concat([
      encodeAttr(99, Buffer.from([1, 2])),
      encodeAttr(3, Buffer.from([1])),
      encodeAttr(9, Buffer.alloc(5)),
    ]);
    const d = decodeAttrs(SCHEMA, b);
    expect(d.A_U32).toBeUndefined();
    expect(d[UNKNOWN_ATTRS]).toHaveLength(3);
    expect(encodeAttrs(SCHEMA, d)).toEqual(b);
  });

  it('rejects values that do not fit the kind when encoding', () => {
    expect(() => encodeAttrs(SCHEMA, { A_IP: 'nope' })).toThrow(/A_IP/);
    expect(() => encodeAttrs(SCHEMA, { A_U32: 'x' })).toThrow(TypeError);
    expect(() => encodeAttrs(SCHEMA, { A_MAC: '00:11' })).toThrow(/MAC/);
  });

  it('never throws decoding random bytes, and stops at a truncated attribute', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
        decodeAttrs(SCHEMA, Buffer.from(a));
      }),
    );
    const b = Buffer.concat([encodeAttr(1, Buffer.from([5])), Buffer.from([40, 0, 2, 0, 1])]);
    expect([...iterateAttrs(b)]).toHaveLength(1);
  });
});
