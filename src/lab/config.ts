// Config files of the `vrrpd lab` directors (pure text builders, so the demo shows the
// same YAML an operator would write). Both directors carry the same VRID and VIPs; only
// router_id, priority and the control socket differ.

export const LAB_VRID = 51;
export const LAB_VIP4 = '192.0.2.50';
export const LAB_VIP6 = '2001:db8::50';
export const LAB_INSTANCE = 'VI_1';
export const LAB_HTTP_PORT = 80;
/** announced over BGP in the `announce` scene (vrrpd's table; FRR would import it) */
export const LAB_ANNOUNCED_VIP = '203.0.113.10';
export const LAB_ANNOUNCE_TABLE = 100;

export interface LabDirectorConfig {
  routerId: string;
  priority: number;
  controlSocket: string;
  realServers: { name: string; address: string }[];
}

/** YAML of one director: VRRPv3 at 100 ms, an IPv4 and an IPv6 VIP, HTTP-checked real servers. */
export function directorYaml(c: LabDirectorConfig): string {
  const rs = c.realServers.flatMap((r) => [
    `      - address: ${r.address}   # ${r.name}`,
    `        port: ${LAB_HTTP_PORT}`,
    '        check: {type: http, path: /healthz, status: [200]}',
  ]);
  return [
    '# written by `vrrpd lab`',
    'global:',
    `  router_id: ${c.routerId}`,
    `  control_socket: ${c.controlSocket}`,
    '  log_level: info',
    `  announce: {table: ${LAB_ANNOUNCE_TABLE}}`,
    'vrrp_instances:',
    `  - name: ${LAB_INSTANCE}`,
    '    interface: eth0',
    `    vrid: ${LAB_VRID}`,
    '    version: 3',
    `    priority: ${c.priority}`,
    '    advert_interval: 100ms',
    '    preempt: true',
    // the IPv6 VIP follows the instance's state; adverts carry the IPv4 one (CONFIG.md)
    `    virtual_ips: [${LAB_VIP4}/24, ${LAB_VIP6}/64]`,
    '    garp: {repeat: 3, interval: 0s, delay: 2s}',
    'virtual_servers:',
    `  - address: ${LAB_VIP4}`,
    `    port: ${LAB_HTTP_PORT}`,
    '    protocol: tcp',
    '    scheduler: rr',
    // direct routing: the real servers share the directors' segment and answer the client themselves
    '    forwarding: dr',
    '    check_defaults: {interval: 300ms, timeout: 250ms, rise: 1, fall: 1, retry: 0}',
    '    real_servers:',
    ...rs,
    // active-active beside the VRRP pair: both directors announce it while r1 or r2 is up
    `  - address: ${LAB_ANNOUNCED_VIP}`,
    `    port: ${LAB_HTTP_PORT}`,
    '    forwarding: dr',
    '    announce: {when: any-up}',
    '    check_defaults: {interval: 300ms, timeout: 250ms, rise: 1, fall: 1, retry: 0}',
    '    real_servers:',
    ...rs,
    '',
  ].join('\n');
}

/** Script of the tiny HTTP server a real server runs (`node -e`): answers its name. */
export function httpServerScript(name: string, port = LAB_HTTP_PORT): string {
  return [
    "const http = require('node:http');",
    `http.createServer((req, res) => { res.end(${JSON.stringify(`${name}\n`)}); })`,
    `  .listen(${port}, '::', () => process.stdout.write('listening\\n'));`,
  ].join('\n');
}
