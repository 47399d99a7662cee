// keepalived 2.4 auth_hmac (src/vrrp/auth-hmac.ts, the codec's trailer, the receive row):
// the draft-cassen-vrrp-auth-hmac appendix vectors (as keepalived's test/auth_hmac_test.c
// carries them), signing reproducing them bit for bit, one flipped byte per field, the
// freshness window, replay marks and the sender's sequence.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ipBytes } from '../../src/net/addr.js';
import {
  clockSeq,
  computeHmac,
  HmacSequence,
  type HmacSettings,
  ReplayMarks,
  seqAfter,
  signAdvert,
  verifyTrailer,
} from '../../src/vrrp/auth-hmac.js';
import { decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const VEC_SEQ = 0x6800000080000000n;
// The draft's appendix images: VRID 51, priority 200, 1 s, key 00..1f, sequence 0x68000000_8000_0000.
// IPv4: source 198.51.100.10, VIP 192.0.2.100, the RFC 9568 message-only checksum.
const IPV4_VEC = Buffer.from(
  '3133c80100644402c0000264' + '010100006800000080000000' + '1b84bc4e8e43892dc6d98448f8ee2265',
  'hex',
);
// IPv6: source fe80::10, VIP fe80::100, the checksum (to fe80::20) covering the trailer.
const IPV6_VEC = Buffer.from(
  '3133c8010064a2e9' +
    'fe800000000000000000000000000100' +
    '010100006800000080000000' +
    'c8c56146ebfd66ee10ec4d8186461b78',
  'hex',
);
const SRC4 = ipBytes('198.51.100.10');
const SRC6 = ipBytes('fe80::10');

function settings(over: Partial<HmacSettings> = {}): HmacSettings {
  return {
    mode: 'enforce',
    keys: new Map([[1, KEY]]),
    activeKey: 1,
    antiReplayTime: false,
    timeWindowSec: 5,
    ...over,
  };
}

function check(
  img: Buffer,
  o: {
    family?: 4 | 6;
    src?: Uint8Array;
    vrid?: number;
    wallMs?: number;
    marks?: ReplayMarks;
    s?: HmacSettings;
  } = {},
) {
  const family = o.family ?? 6;
  const mlen = family === 4 ? 12 : 24;
  return verifyTrailer(
    o.s ?? settings(),
    {
      family,
      version: 3,
      vrid: o.vrid ?? 51,
      src: o.src ?? (family === 4 ? SRC4 : SRC6),
      pdu: img.subarray(0, mlen),
      trailer: img.subarray(mlen),
    },
    o.wallMs ?? Date.now(),
    o.marks ?? new ReplayMarks(),
  ).verdict;
}

describe('auth_hmac: the draft appendix vectors', () => {
  it('both images verify (monotonic: their stamps lie outside any live window)', () => {
    expect(check(IPV4_VEC, { family: 4 })).toBe('ok');
    expect(check(IPV6_VEC, { family: 6 })).toBe('ok');
  });

  it('signing the same advert reproduces the IPv4 image byte for byte', () => {
    const pdu = encodeAdvert(
      { version: 3, type: 1, vrid: 51, priority: 200, maxAdvertIntervalCs: 100, addresses: ['192.0.2.100'] },
      { family: 4, srcAddress: '198.51.100.10', dstAddress: '224.0.0.18', v3Ipv4PseudoHeader: false },
    );
    const signed = signAdvert(pdu, {
      family: 4,
      version: 3,
      vrid: 51,
      src: SRC4,
      dst: ipBytes('224.0.0.18'),
      keyId: 1,
      key: KEY,
      seq: VEC_SEQ,
    });
    expect(signed.toString('hex')).toBe(IPV4_VEC.toString('hex'));
  });

  it('signing reproduces the IPv6 image, the checksum over the trailer included', () => {
    const pdu = encodeAdvert(
      { version: 3, type: 1, vrid: 51, priority: 200, maxAdvertIntervalCs: 100, addresses: ['fe80::100'] },
      { family: 6, srcAddress: 'fe80::10', dstAddress: 'fe80::20' },
    );
    const signed = signAdvert(pdu, {
      family: 6,
      version: 3,
      vrid: 51,
      src: SRC6,
      dst: ipBytes('fe80::20'),
      keyId: 1,
      key: KEY,
      seq: VEC_SEQ,
    });
    expect(signed.toString('hex')).toBe(IPV6_VEC.toString('hex'));
  });

  it('the codec finds the trailer only when told to, and checks each family its way', () => {
    const v4 = decodeAdvert(IPV4_VEC, {
      family: 4,
      srcAddress: '198.51.100.10',
      dstAddress: '224.0.0.18',
      v3Ipv4PseudoHeader: false,
      authTrailer: true,
    });
    expect(v4.ok && v4.value.auth?.trailer.length).toBe(28);
    expect(v4.ok && v4.value.priority).toBe(200);
    const v6 = decodeAdvert(IPV6_VEC, {
      family: 6,
      srcAddress: 'fe80::10',
      dstAddress: 'fe80::20',
      authTrailer: true,
    });
    expect(v6.ok && v6.value.auth?.pdu.length).toBe(24);
    // without auth_hmac the advert is 28 bytes too long (keepalived: "vrrp packet too long")
    const plain = decodeAdvert(IPV6_VEC, { family: 6, srcAddress: 'fe80::10', dstAddress: 'fe80::20' });
    expect(plain.ok ? 'ok' : plain.reason).toBe('length');
  });

  // one flipped bit per case against the IPv6 image (keepalived's test/auth_hmac_test.c cases)
  const mutations: [string, number, string][] = [
    ['tampered priority', 2, 'bad-hmac'],
    ['tampered advert interval', 5, 'bad-hmac'],
    ['tampered checksum (not covered)', 6, 'ok'],
    ['tampered VIP', 8 + 15, 'bad-hmac'],
    ['unsupported ext type', 24, 'malformed'],
    ['unknown key id', 25, 'unknown-key'],
    ['nonzero reserved', 26, 'malformed'],
    ['tampered seconds', 28, 'bad-hmac'],
    ['tampered counter', 34, 'bad-hmac'],
    ['tampered hmac', 36, 'bad-hmac'],
  ];
  for (const [what, off, verdict] of mutations) {
    it(`${what} → ${verdict}`, () => {
      const img = Buffer.from(IPV6_VEC);
      img[off]! ^= 0x01;
      expect(check(img)).toBe(verdict);
    });
  }

  it('the pseudo-header binds the source address and the VRID', () => {
    expect(check(IPV6_VEC, { src: ipBytes('fe80::20') })).toBe('bad-hmac');
    expect(check(IPV6_VEC, { vrid: 52 })).toBe('bad-hmac');
  });

  it('a wrong key of the same id does not verify', () => {
    const other = Buffer.alloc(32, 7);
    expect(check(IPV6_VEC, { s: settings({ keys: new Map([[1, other]]) }) })).toBe('bad-hmac');
  });
});

describe('auth_hmac: freshness and replay', () => {
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);
  const signedAt = (wallMs: number, seqOf = clockSeq(wallMs)) => {
    const pdu = encodeAdvert(
      { version: 3, type: 1, vrid: 51, priority: 200, maxAdvertIntervalCs: 100, addresses: ['fe80::100'] },
      { family: 6, srcAddress: 'fe80::10', dstAddress: 'ff02::12' },
    );
    return signAdvert(pdu, {
      family: 6,
      version: 3,
      vrid: 51,
      src: SRC6,
      dst: ipBytes('ff02::12'),
      keyId: 1,
      key: KEY,
      seq: seqOf,
    });
  };
  const timed = settings({ antiReplayTime: true, timeWindowSec: 5 });

  it('a stamp within the window passes; 100 s old or ahead is stale', () => {
    expect(check(signedAt(now - 3000), { s: timed, wallMs: now })).toBe('ok');
    expect(check(signedAt(now - 100_000), { s: timed, wallMs: now })).toBe('stale');
    expect(check(signedAt(now + 100_000), { s: timed, wallMs: now })).toBe('stale');
  });

  it('the same advert twice is a replay; a second receiver takes its copy', () => {
    const img = signedAt(now);
    const marks = new ReplayMarks();
    expect(check(img, { s: timed, wallMs: now, marks })).toBe('ok');
    expect(check(img, { s: timed, wallMs: now, marks })).toBe('replay');
    expect(check(img, { s: timed, wallMs: now, marks: new ReplayMarks() })).toBe('ok');
  });

  it('an older sequence after a newer one is a replay; a newer one passes', () => {
    const marks = new ReplayMarks();
    expect(check(signedAt(now), { s: timed, wallMs: now, marks })).toBe('ok');
    expect(check(signedAt(now - 1000), { s: timed, wallMs: now, marks })).toBe('replay');
    expect(check(signedAt(now + 10), { s: timed, wallMs: now, marks })).toBe('ok');
  });

  it('a forged advert never moves the mark', () => {
    const marks = new ReplayMarks();
    const forged = signedAt(now + 2000);
    forged[2] = 254;
    expect(check(forged, { s: timed, wallMs: now, marks })).toBe('bad-hmac');
    expect(marks.size).toBe(0);
    expect(check(signedAt(now), { s: timed, wallMs: now, marks })).toBe('ok');
  });

  it('time mode: a mark stranded past the window expires (a sender whose clock was stepped back)', () => {
    const marks = new ReplayMarks();
    marks.set(SRC6, clockSeq(now + 3_600_000));
    expect(check(signedAt(now), { s: timed, wallMs: now, marks })).toBe('ok');
    const mono = new ReplayMarks();
    mono.set(SRC6, clockSeq(now + 7_200_000));
    expect(check(signedAt(now), { wallMs: now, marks: mono })).toBe('replay');
  });

  it('the sender: max(clock, last + 1); time mode restarts at the clock past the window', () => {
    const s = new HmacSequence(true, 5);
    const a = s.next(now);
    expect(a).toBe(clockSeq(now));
    expect(s.next(now)).toBe(a + 1n);
    s.value = clockSeq(now + 3_600_000);
    expect(s.next(now)).toBe(clockSeq(now));
    const m = new HmacSequence(false, 5);
    m.value = clockSeq(now + 3_600_000);
    expect(m.next(now)).toBe(clockSeq(now + 3_600_000) + 1n);
  });

  it('sequence order is RFC 1982 serial arithmetic (it survives the wrap)', () => {
    expect(seqAfter(1n, 0n)).toBe(true);
    expect(seqAfter(0n, (1n << 64n) - 1n)).toBe(true);
    expect(seqAfter(5n, 5n)).toBe(false);
  });

  it('the HMAC covers the PDU with its checksum read as zero', () => {
    const t = IPV6_VEC.subarray(24);
    const a = computeHmac(KEY, { family: 6, version: 3, vrid: 51, src: SRC6 }, IPV6_VEC.subarray(0, 24), t);
    const zeroed = Buffer.from(IPV6_VEC.subarray(0, 24));
    zeroed.writeUInt16BE(0, 6);
    const b = computeHmac(KEY, { family: 6, version: 3, vrid: 51, src: SRC6 }, zeroed, t);
    expect(a.equals(b)).toBe(true);
    expect(a.toString('hex')).toBe('c8c56146ebfd66ee10ec4d8186461b78');
  });
});

describe('auth_hmac: adverts captured from keepalived 2.4.3 (test/fixtures/keepalived24-hmac-adverts.txt)', () => {
  const lines = readFileSync(new URL('../fixtures/keepalived24-hmac-adverts.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [t, fam, ver, vrid, prio, src, dst, hex] = l.split(' ');
      return {
        wallMs: Math.round(Number(t) * 1000),
        family: Number(fam) as 4 | 6,
        version: Number(ver),
        vrid: Number(vrid),
        priority: Number(prio),
        src: src!,
        dst: dst!,
        bytes: Buffer.from(hex!, 'hex'),
      };
    });

  it('holds v2 and v3 over IPv4 and v3 over IPv6, priority-0 adverts included', () => {
    const kinds = new Set(lines.map((l) => `${l.family}/${l.version}/${l.priority === 0 ? 0 : 'p'}`));
    expect([...kinds].sort()).toEqual(['4/2/0', '4/2/p', '4/3/0', '4/3/p', '6/3/0', '6/3/p']);
  });

  it('every advert decodes, verifies in time mode at its capture time, and a second copy is a replay', () => {
    const marks = new ReplayMarks();
    const timed = settings({ antiReplayTime: true, timeWindowSec: 5 });
    for (const l of lines) {
      const d = decodeAdvert(l.bytes, {
        family: l.family,
        srcAddress: l.src,
        dstAddress: l.dst,
        authTrailer: true,
      });
      expect(d.ok, `${l.family}/${l.version} vrid ${l.vrid}: ${d.ok ? '' : d.reason}`).toBe(true);
      if (!d.ok || !d.value.auth) throw new Error('no trailer');
      expect(d.value.priority).toBe(l.priority);
      const pkt = {
        family: l.family,
        version: l.version,
        vrid: l.vrid,
        src: ipBytes(l.src),
        ...d.value.auth,
      };
      expect(verifyTrailer(timed, pkt, l.wallMs, marks).verdict).toBe('ok');
      expect(verifyTrailer(timed, pkt, l.wallMs, marks).verdict).toBe('replay');
      expect(verifyTrailer(timed, pkt, l.wallMs + 3_600_000, new ReplayMarks()).verdict).toBe('stale');
    }
  });

  it('vrrpd signs the same advert with the same sequence into the same bytes', () => {
    for (const l of lines) {
      const d = decodeAdvert(l.bytes, {
        family: l.family,
        srcAddress: l.src,
        dstAddress: l.dst,
        authTrailer: true,
      });
      if (!d.ok || !d.value.auth) throw new Error('no trailer');
      const t = Buffer.from(d.value.auth.trailer);
      const seq =
        (BigInt(t.readUInt32BE(4)) << 32n) | (BigInt(t.readUInt16BE(8)) << 16n) | BigInt(t.readUInt16BE(10));
      const { auth: _auth, checksum: _c, ...advert } = d.value;
      const pdu = encodeAdvert(advert, { family: l.family, srcAddress: l.src, dstAddress: l.dst });
      const ours = signAdvert(pdu, {
        family: l.family,
        version: l.version,
        vrid: l.vrid,
        src: ipBytes(l.src),
        dst: ipBytes(l.dst),
        keyId: 1,
        key: KEY,
        seq,
      });
      expect(ours.toString('hex')).toBe(l.bytes.toString('hex'));
    }
  });
});
