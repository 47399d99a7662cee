// The pure parts of bench/auth-hmac: the two daemons' configurations (one VRRPv3 instance,
// with or without auth_hmac, the same key) and vrrpd's in-process sign/verify cost.
import { ipBytes } from '../../src/net/addr.js';
import {
  clockSeq,
  hmacSettingsOf,
  ReplayMarks,
  signAdvert,
  verifyTrailer,
} from '../../src/vrrp/auth-hmac.js';
import { decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';

export const BENCH_KEY_HEX = '6b'.repeat(32);
export const BENCH_VIP = '192.0.2.50';

export function vrrpdYaml(o: { priority: number; advertMs: number; auth: boolean; socket: string }): string {
  return [
    'global:',
    `  control_socket: ${o.socket}`,
    '  log_level: warn',
    'vrrp_instances:',
    '  - name: VI',
    '    interface: eth0',
    '    vrid: 51',
    `    priority: ${o.priority}`,
    `    advert_interval: ${o.advertMs}ms`,
    `    virtual_ips: [${BENCH_VIP}/24]`,
    ...(o.auth ? ['    auth_hmac:', `      keys: [{id: 1, key: 'hex:${BENCH_KEY_HEX}'}]`] : []),
    '',
  ].join('\n');
}

export function keepalivedConf(o: { priority: number; advertMs: number; auth: boolean }): string {
  const auth = o.auth ? `  auth_hmac {\n    key 1 hex:${BENCH_KEY_HEX}\n    active_key 1\n  }\n` : '';
  return `global_defs {
  router_id bench
  enable_script_security
}
vrrp_instance VI {
  state BACKUP
  interface eth0
  virtual_router_id 51
  version 3
  priority ${o.priority}
  advert_int ${(o.advertMs / 1000).toFixed(2)}
${auth}  virtual_ipaddress {
    ${BENCH_VIP}/24
  }
}
`;
}

/** vrrpd's cost per advert in this process, µs: encode, encode + sign, decode + verify. */
export function inProcessCost(n: number): {
  encodeUs: number;
  signUs: number;
  verifyUs: number;
  ok: boolean;
} {
  const src = ipBytes('192.0.2.11');
  const dst = ipBytes('224.0.0.18');
  const key = Buffer.from(BENCH_KEY_HEX, 'hex');
  const ctx = { family: 4 as const, srcAddress: src, dstAddress: dst };
  const advert = {
    version: 3 as const,
    type: 1 as const,
    vrid: 51,
    priority: 150,
    maxAdvertIntervalCs: 1,
    addresses: [BENCH_VIP],
  };
  const settings = hmacSettingsOf({
    keys: [{ id: 1, hex: BENCH_KEY_HEX }],
    activeKey: 1,
    mode: 'enforce',
    antiReplayTime: true,
    timeWindowSec: 5,
  });
  const now = Date.now();
  const time = (f: (i: number) => void) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i);
    return Number(process.hrtime.bigint() - t0) / 1000 / n;
  };
  const encodeUs = time(() => encodeAdvert(advert, ctx));
  const packets: Buffer[] = [];
  const signUs = time((i) => {
    packets.push(
      signAdvert(encodeAdvert(advert, ctx), {
        family: 4,
        version: 3,
        vrid: 51,
        src,
        dst,
        keyId: 1,
        key,
        seq: clockSeq(now) + BigInt(i),
      }),
    );
  });
  const marks = new ReplayMarks();
  let ok = true;
  const verifyUs = time((i) => {
    const d = decodeAdvert(packets[i]!, { ...ctx, authTrailer: true });
    if (!d.ok || !d.value.auth) {
      ok = false;
      return;
    }
    const v = verifyTrailer(settings, { family: 4, version: 3, vrid: 51, src, ...d.value.auth }, now, marks);
    if (v.verdict !== 'ok') ok = false;
  });
  return { encodeUs, signUs, verifyUs, ok };
}
