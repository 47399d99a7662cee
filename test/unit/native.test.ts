// The addon's rootless surface: loading, errno-rich errors, a netlink socket (RTM_GETLINK dump)
// and unix datagrams. Root-only parts (raw IP, AF_PACKET) are in test/netns/native*.test.ts.
import { describe, expect, it } from 'vitest';
import {
  addon,
  c,
  ifIndexToName,
  ifNameToIndex,
  interfaceMac,
  type NativeError,
  openNetlinkSocket,
  unixDgramSend,
} from '../../src/native/index.js';

function thrown(fn: () => unknown): NativeError {
  try {
    fn();
  } catch (e) {
    return e as NativeError;
  }
  throw new Error('expected a throw');
}

describe('native addon', () => {
  it('loads and exposes Linux constants', () => {
    expect(addon().abiVersion).toBe(3);
    expect(c('AF_NETLINK')).toBe(16);
    expect(c('IPV6_RECVHOPLIMIT')).toBe(51);
    expect(() => c('NOPE')).toThrow(/unknown native constant/);
  });

  it('maps interface names and indexes', () => {
    expect(ifNameToIndex('lo')).toBe(1);
    expect(ifIndexToName(1)).toBe('lo');
    expect(interfaceMac('lo')).toBe('00:00:00:00:00:00');
  });

  it('errors carry code, errno and syscall', () => {
    const e = thrown(() => ifNameToIndex('vrrpd-nodev0'));
    expect(e.code).toBe('ENODEV');
    expect(e.errno).toBe(19);
    expect(e.syscall).toBe('if_nametoindex(vrrpd-nodev0)');
    expect(e.message).toMatch(/no such device/i);
    const s = new (addon().Socket)(c('AF_INET'), c('SOCK_DGRAM'), 0);
    const e2 = thrown(() =>
      s.setStringOption(c('SOL_SOCKET'), c('SO_BINDTODEVICE'), 'vrrpd-nodev0', 'SO_BINDTODEVICE'),
    );
    // ENODEV as root; EPERM without CAP_NET_RAW
    expect(['ENODEV', 'EPERM']).toContain(e2.code);
    expect(e2.syscall).toBe('setsockopt(SO_BINDTODEVICE)');
    s.close();
    s.close(); // idempotent
    expect(thrown(() => s.bind({ address: '127.0.0.1' })).code).toBe('EBADF');
    const bad = thrown(() => new (addon().Socket)(12345, c('SOCK_DGRAM'), 0));
    expect(bad.code).toBe('EAFNOSUPPORT');
    expect(bad.syscall).toBe('socket');
    expect(thrown(() => unixDgramSend('@vrrpd-nobody-listens-' + process.pid, Buffer.from('x'))).code).toBe(
      'ECONNREFUSED',
    );
  });

  it('netlink socket gets the RTM_GETLINK dump from the kernel', async () => {
    const nl = openNetlinkSocket(c('NETLINK_ROUTE'));
    try {
      expect(nl.pid).toBeGreaterThan(0);
      // struct nlmsghdr (16 bytes) + struct ifinfomsg (16 bytes)
      const req = Buffer.alloc(32);
      req.writeUInt32LE(32, 0); // nlmsg_len
      req.writeUInt16LE(18, 4); // RTM_GETLINK
      req.writeUInt16LE(0x301, 6); // NLM_F_REQUEST | NLM_F_DUMP
      req.writeUInt32LE(42, 8); // nlmsg_seq
      req.writeUInt32LE(nl.pid, 12);
      req.writeUInt8(0, 16); // ifi_family AF_UNSPEC
      const types: number[] = [];
      const names: string[] = [];
      await new Promise<void>((resolve, reject) => {
        nl.onError(reject);
        nl.onMessage((dgram) => {
          for (let off = 0; off + 16 <= dgram.length; ) {
            const len = dgram.readUInt32LE(off);
            const type = dgram.readUInt16LE(off + 4);
            expect(dgram.readUInt32LE(off + 8)).toBe(42);
            types.push(type);
            if (type === 16) {
              // RTM_NEWLINK: walk rtattrs after ifinfomsg for IFLA_IFNAME (3)
              for (let a = off + 32; a + 4 <= off + len; ) {
                const alen = dgram.readUInt16LE(a);
                if (alen < 4) break;
                if (dgram.readUInt16LE(a + 2) === 3) names.push(dgram.toString('utf8', a + 4, a + alen - 1));
                a += (alen + 3) & ~3;
              }
            }
            if (type === 3) resolve(); // NLMSG_DONE
            if (len < 16) break;
            off += (len + 3) & ~3;
          }
        });
        nl.send(req);
      });
      expect(types).toContain(16);
      expect(types.at(-1)).toBe(3);
      expect(names).toContain('lo');
    } finally {
      nl.close();
    }
  });

  it('netlink joins multicast groups and reports bad ones', () => {
    const nl = openNetlinkSocket(c('NETLINK_ROUTE'), { groups: [1], rcvbufBytes: 1 << 20 });
    nl.addMembership(5);
    nl.dropMembership(5);
    expect(thrown(() => nl.addMembership(100000)).syscall).toBe('setsockopt(NETLINK_ADD_MEMBERSHIP)');
    nl.close();
  });

  it('unixDgramSend reaches a listening unix datagram socket (abstract and path)', async () => {
    const a = addon();
    const name = `@vrrpd-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const rx = new a.Socket(c('AF_UNIX'), c('SOCK_DGRAM'), 0);
    try {
      rx.bind({ path: name });
      const got = new Promise<string>((resolve, reject) =>
        rx.startReading((err, msg) => (err ? reject(err) : resolve(msg!.data.toString()))),
      );
      unixDgramSend(name, Buffer.from('READY=1\nSTATUS=ok'));
      expect(await got).toBe('READY=1\nSTATUS=ok');
    } finally {
      rx.close();
    }
  });

  it('a throw in a read callback becomes an uncaught exception, not a crash', async () => {
    const a = addon();
    const name = `@vrrpd-test-throw-${process.pid}`;
    const rx = new a.Socket(c('AF_UNIX'), c('SOCK_DGRAM'), 0);
    rx.bind({ path: name });
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    try {
      const caught = new Promise<Error>((resolve) => process.once('uncaughtException', resolve));
      rx.startReading(() => {
        throw new Error('boom from callback');
      });
      unixDgramSend(name, Buffer.from('x'));
      expect((await caught).message).toBe('boom from callback');
    } finally {
      rx.close();
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });
});
