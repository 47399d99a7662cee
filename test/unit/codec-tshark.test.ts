// tshark as an independent oracle for what our encoders produce, above all IPv6 VRRPv3,
// GARP and NA, for which no real capture is stored. Reads a file only: no root, no network.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIp } from '../../src/net/addr.js';
import { buildGratuitousArp } from '../../src/net/arp.js';
import { buildUnsolicitedNa } from '../../src/net/ndisc.js';
import { type AdvertContext, encodeAdvert, simpleAuthData } from '../../src/vrrp/codec.js';
import { missing } from '../helpers/env.js';
import { buildIpv4Frame, buildIpv6Frame, writePcap } from '../helpers/pcap.js';

const why = missing({ commands: ['tshark'] });
const dir = mkdtempSync(join(tmpdir(), `v${process.pid}x-tshark-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ip = (s: string) => parseIp(s)!.bytes;
const V4: AdvertContext = { family: 4, srcAddress: '192.0.2.1', dstAddress: '224.0.0.18' };
const V6: AdvertContext = { family: 6, srcAddress: 'fe80::1', dstAddress: 'ff02::12' };

const FIELDS = [
  'frame.number',
  'vrrp.version',
  'vrrp.checksum.status',
  'vrrp.virt_rtr_id',
  'vrrp.prio',
  'vrrp.addr_count',
  'vrrp.ip_addr',
  'vrrp.ipv6_addr',
  'vrrp.auth_string',
  'icmpv6.checksum.status',
  'icmpv6.nd.na.flag.r',
  'icmpv6.nd.na.flag.s',
  'icmpv6.nd.na.flag.o',
  'icmpv6.nd.na.target_address',
  'icmpv6.opt.linkaddr',
  'arp.isgratuitous',
  'arp.opcode',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  '_ws.expert',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function tshark(frames: Buffer[], prefs: string[] = []): Row[] {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(file, writePcap(frames));
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', ...prefs.flatMap((p) => ['-o', p])];
  const out = execFileSync('tshark', [...args, ...FIELDS.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const cols = line.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Row;
    });
}

describe.skipIf(why !== null)('tshark judges our encodings', () => {
  it('VRRP v2/v3 over IPv4 and v3 over IPv6: checksums good, fields as encoded, no expert info', () => {
    const v4 = (payload: Buffer) =>
      buildIpv4Frame({ src: ip('192.0.2.1'), dst: ip('224.0.0.18'), protocol: 112, payload });
    const v6 = (payload: Buffer) =>
      buildIpv6Frame({ src: ip('fe80::1'), dst: ip('ff02::12'), nextHeader: 112, payload });
    const frames = [
      v4(
        encodeAdvert(
          {
            version: 2,
            type: 1,
            vrid: 7,
            priority: 200,
            advertIntervalSec: 3,
            authType: 1,
            authData: simpleAuthData('s3cret'),
            addresses: ['192.0.2.50', '198.51.100.1'],
          },
          V4,
        ),
      ),
      v4(
        encodeAdvert(
          { version: 3, type: 1, vrid: 51, priority: 0, maxAdvertIntervalCs: 10, addresses: ['192.0.2.50'] },
          V4,
        ),
      ),
      v6(
        encodeAdvert(
          {
            version: 3,
            type: 1,
            vrid: 255,
            priority: 255,
            maxAdvertIntervalCs: 4095,
            addresses: ['fe80::50', '2001:db8::50'],
          },
          V6,
        ),
      ),
    ];
    const rows = tshark(frames);
    expect(
      rows.map((r) => [r['vrrp.version'], r['vrrp.checksum.status'], r['vrrp.virt_rtr_id'], r['vrrp.prio']]),
    ).toEqual([
      ['2', '1', '7', '200'],
      ['3', '1', '51', '0'],
      ['3', '1', '255', '255'],
    ]);
    expect(rows[0]!['vrrp.ip_addr']).toBe('192.0.2.50,198.51.100.1');
    expect(rows[0]!['vrrp.auth_string']).toBe('s3cret');
    expect(rows[2]!['vrrp.ipv6_addr']).toBe('fe80::50,2001:db8::50');
    for (const r of rows) expect(r['_ws.expert']).toBe('');
  });

  it('the compat encoding (v3 IPv4 without pseudo-header) is what tshark calls "as in v2"', () => {
    const compat = encodeAdvert(
      { version: 3, type: 1, vrid: 51, priority: 100, maxAdvertIntervalCs: 100, addresses: ['192.0.2.50'] },
      { ...V4, v3Ipv4PseudoHeader: false },
    );
    const frame = buildIpv4Frame({
      src: ip('192.0.2.1'),
      dst: ip('224.0.0.18'),
      protocol: 112,
      payload: compat,
    });
    expect(tshark([frame])[0]!['vrrp.checksum.status']).toBe('0'); // bad by the RFC 5798 rule
    expect(tshark([frame], ['vrrp.v3_checksum_as_in_v2:TRUE'])[0]!['vrrp.checksum.status']).toBe('1');
  });

  it('unsolicited NA: ICMPv6 checksum good, O set, S clear, target and link-layer option', () => {
    const rows = tshark([
      buildUnsolicitedNa({ target: '2001:db8::50', mac: '00:00:5e:00:02:33', srcAddress: 'fe80::1' }),
      buildUnsolicitedNa({ target: '2001:db8:1::9', mac: '02:aa:bb:cc:dd:ee', router: true }),
    ]);
    expect(
      rows.map((r) => [
        r['icmpv6.checksum.status'],
        r['icmpv6.nd.na.flag.r'],
        r['icmpv6.nd.na.flag.s'],
        r['icmpv6.nd.na.flag.o'],
        r['icmpv6.nd.na.target_address'],
        r['icmpv6.opt.linkaddr'],
        r['_ws.expert'],
      ]),
    ).toEqual([
      ['1', '0', '0', '1', '2001:db8::50', '00:00:5e:00:02:33', ''],
      ['1', '1', '0', '1', '2001:db8:1::9', '02:aa:bb:cc:dd:ee', ''],
    ]);
  });

  it('gratuitous ARP: tshark recognises it as gratuitous', () => {
    const [r] = tshark([buildGratuitousArp('192.0.2.50', '00:00:5e:00:01:33')]);
    expect([
      r!['arp.isgratuitous'],
      r!['arp.opcode'],
      r!['arp.src.proto_ipv4'],
      r!['arp.dst.proto_ipv4'],
    ]).toEqual(['1', '1', '192.0.2.50', '192.0.2.50']);
  });
});
