import { describe, expect, it } from 'vitest';
import { decodeAttrs } from '../../src/netlink/attrs.js';
import {
  decodeError,
  decodeMessages,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
} from '../../src/netlink/message.js';
import {
  AF_INET,
  AF_INET6,
  addressDumpRequest,
  addressRequest,
  decodeIfAddrMsg,
  decodeIfInfoMsg,
  IFA,
  IFA_F_NODAD,
  IFA_F_PERMANENT,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA,
  IFLA_MACVLAN,
  linkByNameRequest,
  linkSetUpRequest,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PRIVATE,
  macvlanCreateRequest,
  parseAddress,
  parseLink,
  RTM_NEWADDR,
  RTM_NEWLINK,
} from '../../src/netlink/rtnetlink.js';

// Captured from the real kernel (6.18, x86-64) in a fresh namespace with lo up,
// 192.0.2.7/24 and 2001:db8::7/64 (nodad) on lo: one RTM_GETADDR dump datagram.
const ADDR_DUMP = Buffer.from(
  '4c0000001400020001000000f3380000020880fe01000000080001007f000001080002007f000001070003006c6f0000080008008000000014000600ffffffffffffffff1cf800001cf800004c0000001400020001000000f3380000021880000100000008000100c000020708000200c0000207070003006c6f0000080008008000000014000600ffffffffffffffff1cf800001cf80000480000001400020001000000f33800000a408200010000001400010020010db800000000000000000000000714000600ffffffffffffffff1cf800001cf800000800080082000000500000001400020001000000f33800000a8080fe01000000140001000000000000000000000000000000000114000600ffffffffffffffff1cf800001cf80000080008008000000005000b0001000000',
  'hex',
);
// ...its NLMSG_DONE, and the RTM_NEWLINK reply + capped ack to RTM_GETLINK IFLA_IFNAME "lo".
const DONE = Buffer.from('140000000300020001000000f338000000000000', 'hex');
const LO_LINK = Buffer.from(
  'bc05000010000000020000006539000000000403010000004900010000000000070003006c6f000008000d00e803000005001000000000000500110000000000050043000100000008000400000001000800320000000000080033000000000008001b000000000008001e000000000008003d000000000008001f000100000008002800ffff0000080029000000010008003a000000010008003f0000000100080040000000010008003b00f8ff070008003c00ffff0000080042000000000008002000010000000500210001000000080023000000000008002f000000000008003000000000000600440000000000060045000000000005002700000000000a00010000000000000000000a0002000000000000000000cc0017000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000640007000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c002b0005000200000000000c0006006e6f71756575650030031a008c00020088000100000000000000000000000000010000000100000001000000010000000000000001000000000000000000000000000000000000000000000001000000010000000000000000000000000000000000000000000000000000000000000000000000000000000000000010270000e80300000000000000000000000000000000000001000000a0020a00080001000000008014000500ffff0000f4f80000ac4e0000e8030000f400020000000000400000000000010001000000010000000100000001000000ffffffffa00f0000e8030000ffffffff803a0900805101000300000058020000100000000000000001000000010000000100000060ea0000000000000000000000000000000000000000000000000000ffffffff000000000000000010270000e8030000010000000000000000000000010000000000000000000000010000000000000000000000000000000000000080ee360000000000000000000100000000000000000000000000000000000000000000000004000000000000ffff0000ffffffff0100000000000000000000000000000034010300260000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003c00060007000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001400070000000000000000000000000000000000050008000000000024000e00000000000000000000000000000000000000000000000000000000000000000004003e8004004180',
  'hex',
);
const ACK = Buffer.from('240000000200000102000000f33800000000000028000000120005000200000000000000', 'hex');

describe('rtnetlink: decoding kernel messages', () => {
  it('parses an RTM_GETADDR dump', () => {
    const msgs = decodeMessages(ADDR_DUMP) as NlMessage[];
    expect(msgs.map((m) => m.type)).toEqual([RTM_NEWADDR, RTM_NEWADDR, RTM_NEWADDR, RTM_NEWADDR]);
    const addrs = msgs.map((m) => parseAddress(m.payload));
    expect(addrs).toEqual([
      {
        ifindex: 1,
        family: 4,
        address: '127.0.0.1',
        prefixLength: 8,
        label: 'lo',
        flags: IFA_F_PERMANENT,
        scope: 254,
      },
      {
        ifindex: 1,
        family: 4,
        address: '192.0.2.7',
        prefixLength: 24,
        label: 'lo',
        flags: IFA_F_PERMANENT,
        scope: 0,
      },
      {
        ifindex: 1,
        family: 6,
        address: '2001:db8::7',
        prefixLength: 64,
        flags: IFA_F_PERMANENT | IFA_F_NODAD,
        scope: 0,
      },
      { ifindex: 1, family: 6, address: '::1', prefixLength: 128, flags: IFA_F_PERMANENT, scope: 254 },
    ]);
    // IFA_CACHEINFO and IFA_PROTO come through as their declared kinds
    const a = decodeAttrs(IFA, msgs[3]!.payload.subarray(8));
    expect(a.IFA_PROTO).toBe(1);
    expect(a.IFA_CACHEINFO).toHaveLength(16);
    expect(decodeIfAddrMsg(msgs[2]!.payload)).toMatchObject({ ifa_family: AF_INET6, ifa_prefixlen: 64 });
  });

  it('parses NLMSG_DONE and a capped ack', () => {
    const [done] = decodeMessages(DONE) as NlMessage[];
    expect(done!.type).toBe(NLMSG_DONE);
    const [ack] = decodeMessages(ACK) as NlMessage[];
    expect(ack!.type).toBe(NLMSG_ERROR);
    expect(decodeError(ack!)).toEqual({ errno: 0, request: { type: 18, flags: 5, seq: 2, pid: 0 } });
  });

  it('parses an RTM_NEWLINK for lo (70-odd attributes, unknown ones kept raw)', () => {
    const [m] = decodeMessages(LO_LINK) as NlMessage[];
    expect(m!.type).toBe(RTM_NEWLINK);
    expect(parseLink(m!.payload)).toMatchObject({
      ifindex: 1,
      name: 'lo',
      up: true,
      running: true,
      mac: '00:00:00:00:00:00',
      mtu: 65536,
      operstate: 'unknown',
    });
    const a = decodeAttrs(IFLA, m!.payload.subarray(IFINFOMSG_LEN));
    expect(a.IFLA_TXQLEN).toBe(1000);
    expect(a._unknown!.length).toBeGreaterThan(10);
  });

  it('ignores AF_BRIDGE link messages and truncated payloads', () => {
    const [m] = decodeMessages(LO_LINK) as NlMessage[];
    const bridge = Buffer.from(m!.payload);
    bridge[0] = 7;
    expect(parseLink(bridge)).toBeNull();
    expect(parseLink(Buffer.alloc(3))).toBeNull();
    expect(parseAddress(Buffer.alloc(8))).toBeNull();
    for (let n = 0; n < ADDR_DUMP.length; n += 7) parseAddress(ADDR_DUMP.subarray(16, 16 + n));
  });
});

describe('rtnetlink: building requests', () => {
  it('an IPv6 VIP gets IFA_F_NODAD in ifa_flags and IFA_FLAGS', () => {
    const p = addressRequest(3, '2001:db8::10', 64, { nodad: true });
    expect(decodeIfAddrMsg(p)).toEqual({
      ifa_family: AF_INET6,
      ifa_prefixlen: 64,
      ifa_flags: IFA_F_NODAD,
      ifa_scope: 0,
      ifa_index: 3,
    });
    expect(decodeAttrs(IFA, p.subarray(8))).toEqual({
      IFA_LOCAL: '2001:db8::10',
      IFA_ADDRESS: '2001:db8::10',
      IFA_FLAGS: IFA_F_NODAD,
    });
    const back = parseAddress(p);
    expect(back).toMatchObject({ ifindex: 3, family: 6, address: '2001:db8::10', prefixLength: 64 });
  });

  it('an IPv4 VIP has no NODAD and may carry a label', () => {
    const p = addressRequest(2, '192.0.2.10', 24, { nodad: true, label: 'eth0:vip' });
    expect(decodeIfAddrMsg(p)).toMatchObject({ ifa_family: AF_INET, ifa_flags: 0 });
    expect(decodeAttrs(IFA, p.subarray(8))).toEqual({
      IFA_LOCAL: '192.0.2.10',
      IFA_ADDRESS: '192.0.2.10',
      IFA_LABEL: 'eth0:vip',
    });
  });

  it('rejects bad addresses and prefix lengths with clear messages', () => {
    expect(() => addressRequest(1, '192.0.2.300', 24)).toThrow(/not an IP address/);
    expect(() => addressRequest(1, '192.0.2.1', 33)).toThrow(/out of range 0-32/);
    expect(() => addressRequest(1, '2001:db8::1', 129)).toThrow(/0-128/);
  });

  it('builds a macvlan create with nested IFLA_LINKINFO / IFLA_INFO_DATA', () => {
    const p = macvlanCreateRequest(4, 'vrrp.7', '00:00:5e:00:01:07', 'bridge');
    expect(decodeIfInfoMsg(p)).toMatchObject({ ifi_index: 0, ifi_flags: IFF_UP, ifi_change: IFF_UP });
    const a = decodeAttrs(IFLA, p.subarray(IFINFOMSG_LEN));
    expect(a).toMatchObject({ IFLA_IFNAME: 'vrrp.7', IFLA_LINK: 4, IFLA_ADDRESS: '00:00:5e:00:01:07' });
    expect(a.IFLA_LINKINFO?.IFLA_INFO_KIND).toBe('macvlan');
    expect(decodeAttrs(IFLA_MACVLAN, a.IFLA_LINKINFO!.IFLA_INFO_DATA!).IFLA_MACVLAN_MODE).toBe(
      MACVLAN_MODE_BRIDGE,
    );
    const priv = decodeAttrs(IFLA, macvlanCreateRequest(4, 'v', '00:00:5e:00:01:07').subarray(IFINFOMSG_LEN));
    expect(decodeAttrs(IFLA_MACVLAN, priv.IFLA_LINKINFO!.IFLA_INFO_DATA!).IFLA_MACVLAN_MODE).toBe(
      MACVLAN_MODE_PRIVATE,
    );
    expect(() => macvlanCreateRequest(4, 'a-much-too-long-name', '00:00:5e:00:01:07')).toThrow(/IFNAMSIZ/);
  });

  it('builds dump, by-name and up/down requests', () => {
    expect(addressDumpRequest()).toEqual(Buffer.alloc(8));
    expect(addressDumpRequest(6)[0]).toBe(AF_INET6);
    expect(decodeAttrs(IFLA, linkByNameRequest('eth0').subarray(16)).IFLA_IFNAME).toBe('eth0');
    expect(decodeIfInfoMsg(linkSetUpRequest(5, false))).toMatchObject({
      ifi_index: 5,
      ifi_flags: 0,
      ifi_change: IFF_UP,
    });
  });
});
