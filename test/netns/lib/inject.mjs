// Sends crafted VRRP payloads from inside a namespace, for the injection tests:
//   ip netns exec NS node test/netns/lib/inject.mjs '{"family":4,"ifname":"eth0","packets":[{"hex":"31...","dst":"224.0.0.18","ttl":255}]}'
// Uses the built native addon wrapper (dist/, `npm run build`); the IP header is the
// kernel's, with the TTL given per datagram (multicast defaults to TTL 1 otherwise).
import { openRawIpSocket } from '../../../dist/src/native/index.js';

const spec = JSON.parse(process.argv[2] ?? '{}');
const sock = openRawIpSocket({ family: spec.family, protocol: 112, ifname: spec.ifname });
let sent = 0;
for (const p of spec.packets) {
  // src: a source address of this namespace (IP_PKTINFO), for a replay from another's address
  sock.sendTo(Buffer.from(p.hex, 'hex'), p.dst, { ttl: p.ttl ?? 255, ...(p.src ? { src: p.src } : {}) });
  sent++;
}
sock.close();
console.log(JSON.stringify({ sent }));
