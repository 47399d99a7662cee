// AgentX PDUs (RFC 2741): byte layouts written out by hand from the RFC's figures, round
// trips through the decoder, both byte orders, stream framing, and the Get/GetNext/GetBulk
// answers over a sorted view (search ranges with include flags and upper bounds).
import { describe, expect, it } from 'vitest';
import {
  compareOid,
  decodePdu,
  encodeClose,
  encodeNotify,
  encodeOpen,
  encodePing,
  encodeRegister,
  encodeRequest,
  encodeResponse,
  frameLength,
  HEADER_LENGTH,
  type Oid,
  PduType,
  type VarBind,
} from '../../src/snmp/agentx.js';
import { getBulk, getExact, getNext } from '../../src/snmp/lookup.js';

const hex = (b: Buffer) => b.toString('hex');

describe('AgentX encoding (RFC 2741 §5, §6)', () => {
  it('Open: header in network byte order, null id, padded description', () => {
    const b = encodeOpen({ packetId: 7, timeoutS: 5, id: [], descr: 'vrrpd' });
    expect(hex(b.subarray(0, HEADER_LENGTH))).toBe(
      // v1, Open, NETWORK_BYTE_ORDER, rsvd | session 0 | transaction 0 | packet 7 | payload 20
      '01011000' + '00000000' + '00000000' + '00000007' + '00000014',
    );
    expect(hex(b.subarray(HEADER_LENGTH))).toBe(
      // timeout 5 + 3 reserved | null OID | length 5, 'vrrpd', 3 bytes padding
      '05000000' + '00000000' + '00000005' + '7672727064' + '000000',
    );
  });

  it('Register: 1.3.6.1.2.1.207 compressed with prefix 2 (mib-2)', () => {
    const b = encodeRegister({
      sessionId: 9,
      packetId: 2,
      timeoutS: 0,
      priority: 127,
      subtree: [1, 3, 6, 1, 2, 1, 207],
    });
    expect(hex(b.subarray(4, 8))).toBe('00000009');
    // timeout 0, priority 127, range_subid 0, rsvd | n_subid 2, prefix 2, include 0, rsvd | 1 | 207
    expect(hex(b.subarray(HEADER_LENGTH))).toBe('007f0000' + '02020000' + '00000001' + '000000cf');
  });

  it('an OID outside 1.3.6.1 is written in full (prefix 0)', () => {
    const b = encodeNotify({
      sessionId: 1,
      packetId: 1,
      varbinds: [{ oid: [0, 0], value: { type: 'null' } }],
    });
    // type 5 (Null), rsvd | n_subid 2, prefix 0 | 0 | 0
    expect(hex(b.subarray(HEADER_LENGTH))).toBe('00050000' + '02000000' + '00000000' + '00000000');
  });

  it('octet strings are bytes, not text: 192.0.2.200 is four octets', () => {
    const b = encodeResponse({
      header: { sessionId: 1, transactionId: 2, packetId: 3 },
      varbinds: [
        { oid: [1, 3, 6, 1, 2, 1, 207, 1], value: { type: 'octets', value: Buffer.from([192, 0, 2, 200]) } },
      ],
    });
    const d = decodePdu(b);
    expect(d.ok && d.value.kind === 'response' && d.value.varbinds[0]!.value).toEqual({
      type: 'octets',
      value: Buffer.from([192, 0, 2, 200]),
    });
    expect(hex(b.subarray(-8))).toBe('00000004c00002c8');
  });

  it('every value type round-trips through a Response', () => {
    const varbinds: VarBind[] = [
      { oid: [1, 3, 6, 1, 2, 1, 207, 1, 1, 1, 1, 6, 2, 51, 1], value: { type: 'integer', value: -3 } },
      { oid: [1, 3, 6, 1, 4, 1, 1], value: { type: 'octets', value: Buffer.from('abcde') } },
      { oid: [1, 3, 6, 1, 4, 1, 2], value: { type: 'null' } },
      { oid: [1, 3, 6, 1, 4, 1, 3], value: { type: 'oid', value: [1, 3, 6, 1, 2, 1, 207, 0, 1] } },
      { oid: [1, 3, 6, 1, 4, 1, 4], value: { type: 'counter32', value: 4294967295 } },
      { oid: [1, 3, 6, 1, 4, 1, 5], value: { type: 'gauge32', value: 150 } },
      { oid: [1, 3, 6, 1, 4, 1, 6], value: { type: 'timeticks', value: 72000 } },
      { oid: [1, 3, 6, 1, 4, 1, 7], value: { type: 'counter64', value: 2n ** 64n - 1n } },
      { oid: [1, 3, 6, 1, 4, 1, 8], value: { type: 'noSuchObject' } },
      { oid: [1, 3, 6, 1, 4, 1, 9], value: { type: 'noSuchInstance' } },
      { oid: [1, 3, 6, 1, 4, 1, 10], value: { type: 'endOfMibView' } },
    ];
    const b = encodeResponse({
      header: { sessionId: 4, transactionId: 5, packetId: 6 },
      sysUpTime: 1234,
      error: 17,
      index: 2,
      varbinds,
    });
    expect(frameLength(b)).toBe(b.length);
    const d = decodePdu(b);
    expect(d).toEqual({
      ok: true,
      value: {
        kind: 'response',
        header: { type: PduType.response, flags: 0x10, sessionId: 4, transactionId: 5, packetId: 6 },
        sysUpTime: 1234,
        error: 17,
        index: 2,
        varbinds,
      },
    });
  });

  it('Close, Ping: fixed layouts', () => {
    expect(hex(encodeClose({ sessionId: 3, packetId: 4, reason: 5 }).subarray(HEADER_LENGTH))).toBe(
      '05000000',
    );
    const ping = encodePing({ sessionId: 3, packetId: 4 });
    expect(ping.length).toBe(HEADER_LENGTH);
    expect(ping[1]).toBe(PduType.ping);
  });
});

describe('AgentX decoding', () => {
  it('GetNext search ranges keep their include flag and upper bound', () => {
    const ranges = [
      { start: [1, 3, 6, 1, 2, 1, 207], include: true, end: [1, 3, 6, 1, 2, 1, 208] },
      { start: [1, 3, 6, 1, 2, 1, 207, 1, 2, 1, 0], include: false, end: [] },
    ];
    const d = decodePdu(
      encodeRequest({
        type: PduType.getNext,
        header: { sessionId: 1, transactionId: 2, packetId: 3 },
        ranges,
      }),
    );
    expect(d.ok && d.value).toMatchObject({ kind: 'getNext', context: null, ranges });
  });

  it('GetBulk carries non-repeaters and max-repetitions', () => {
    const d = decodePdu(
      encodeRequest({
        type: PduType.getBulk,
        header: { sessionId: 1, transactionId: 2, packetId: 3 },
        nonRepeaters: 1,
        maxRepetitions: 10,
        ranges: [{ start: [1, 3, 6, 1, 2, 1, 207], include: false, end: [] }],
      }),
    );
    expect(d.ok && d.value).toMatchObject({ kind: 'getBulk', nonRepeaters: 1, maxRepetitions: 10 });
  });

  it('a little-endian PDU (NETWORK_BYTE_ORDER clear) decodes the same', () => {
    // Get, flags 0, session 1, transaction 2, packet 3, one range 1.3.6.1.2.1.207.1 .. null
    const body = Buffer.from([3, 2, 0, 0, 1, 0, 0, 0, 207, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const head = Buffer.alloc(20);
    head.writeUInt8(1, 0);
    head.writeUInt8(PduType.get, 1);
    head.writeUInt32LE(1, 4);
    head.writeUInt32LE(2, 8);
    head.writeUInt32LE(3, 12);
    head.writeUInt32LE(body.length, 16);
    const d = decodePdu(Buffer.concat([head, body]));
    expect(d.ok && d.value).toMatchObject({
      kind: 'get',
      header: { sessionId: 1, transactionId: 2, packetId: 3 },
      ranges: [{ start: [1, 3, 6, 1, 2, 1, 207, 1], include: false, end: [] }],
    });
  });

  it('a non-default context is read before the ranges', () => {
    const plain = encodeRequest({
      type: PduType.get,
      header: { sessionId: 1, transactionId: 2, packetId: 3 },
      ranges: [{ start: [1, 3, 6, 1, 2, 1, 207, 1], include: false, end: [] }],
    });
    const ctx = Buffer.from([0, 0, 0, 3, 0x61, 0x62, 0x63, 0]);
    const b = Buffer.concat([plain.subarray(0, 20), ctx, plain.subarray(20)]);
    b[2] = b[2]! | 0x08;
    b.writeUInt32BE(b.length - 20, 16);
    const d = decodePdu(b);
    expect(d.ok && d.value.kind === 'get' && d.value.context?.toString()).toBe('abc');
  });

  it('frames: null below 20 bytes, else header + payload length', () => {
    const b = encodePing({ sessionId: 1, packetId: 1 });
    expect(frameLength(b.subarray(0, 19))).toBeNull();
    const two = Buffer.concat([encodeOpen({ packetId: 1, timeoutS: 0, id: [], descr: 'x' }), b]);
    expect(frameLength(two)).toBe(two.length - b.length);
  });

  it('truncated and foreign input is refused with a reason, never thrown', () => {
    const b = encodeResponse({
      header: { sessionId: 1, transactionId: 1, packetId: 1 },
      varbinds: [{ oid: [1, 3, 6, 1, 4, 1, 1], value: { type: 'counter64', value: 1n } }],
    });
    const cut = Buffer.from(b.subarray(0, b.length - 4));
    cut.writeUInt32BE(cut.length - 20, 16);
    expect(decodePdu(cut)).toMatchObject({ ok: false });
    expect(decodePdu(b.subarray(0, 10))).toMatchObject({ ok: false, reason: /header/ });
    const v2 = Buffer.from(b);
    v2[0] = 2;
    expect(decodePdu(v2)).toMatchObject({ ok: false, reason: /version 2/ });
    for (let n = 20; n < b.length; n++) {
      const part = Buffer.from(b.subarray(0, n));
      part.writeUInt32BE(n - 20, 16);
      expect(() => decodePdu(part)).not.toThrow();
    }
  });
});

describe('answers from a sorted view (RFC 2741 §7.2.3)', () => {
  const at = (...s: number[]): Oid => [1, 3, 6, 1, 2, 1, 207, ...s];
  const view: VarBind[] = [
    { oid: at(1, 1, 1, 1, 3, 2, 51, 1), value: { type: 'integer', value: 1 } },
    { oid: at(1, 1, 1, 1, 3, 3, 52, 1), value: { type: 'integer', value: 2 } },
    { oid: at(1, 2, 1, 0), value: { type: 'counter64', value: 3n } },
  ];
  const objects = [at(1, 1, 1, 1, 3), at(1, 2, 1)];

  it('compareOid is lexicographic by sub-identifier, a prefix first', () => {
    expect(compareOid([1, 3, 6], [1, 3, 6, 1])).toBeLessThan(0);
    expect(compareOid([1, 3, 10], [1, 3, 9, 5])).toBeGreaterThan(0);
    expect(compareOid([1, 3], [1, 3])).toBe(0);
  });

  it('Get: the instance, noSuchInstance under a served object, noSuchObject elsewhere', () => {
    expect(getExact(view, objects, at(1, 2, 1, 0)).value).toEqual({ type: 'counter64', value: 3n });
    expect(getExact(view, objects, at(1, 1, 1, 1, 3, 9, 9, 1)).value.type).toBe('noSuchInstance');
    expect(getExact(view, objects, at(1, 2, 9, 0)).value.type).toBe('noSuchObject');
  });

  it('GetNext: after start, or at it with include; bounded by end', () => {
    expect(getNext(view, { start: at(), include: false, end: [] }).oid).toEqual(view[0]!.oid);
    expect(getNext(view, { start: view[0]!.oid, include: false, end: [] }).oid).toEqual(view[1]!.oid);
    expect(getNext(view, { start: view[0]!.oid, include: true, end: [] }).oid).toEqual(view[0]!.oid);
    expect(getNext(view, { start: view[1]!.oid, include: false, end: at(1, 2) })).toEqual({
      oid: view[1]!.oid,
      value: { type: 'endOfMibView' },
    });
    expect(getNext(view, { start: at(1, 2, 1, 0), include: false, end: [] }).value.type).toBe('endOfMibView');
  });

  it('GetBulk: non-repeaters once, repeaters continue from their last answer, stop at the end', () => {
    const r = getBulk(
      view,
      [
        { start: at(1, 2), include: false, end: [] },
        { start: at(), include: false, end: [] },
      ],
      1,
      10,
    );
    expect(r.map((v) => v.value.type)).toEqual([
      'counter64',
      'integer',
      'integer',
      'counter64',
      'endOfMibView',
    ]);
    expect(getBulk(view, [{ start: at(), include: false, end: [] }], 0, 2)).toHaveLength(2);
  });
});
