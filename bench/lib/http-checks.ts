// Pure parts of bench/http-checks.ts: the nginx configuration of the real servers, its
// stub_status page, the daemons' configurations (vrrpd YAML for the host, keepalived.conf
// for the guest) and the arithmetic of a row. No I/O here.

/** nginx, in the foreground, answering GET /healthz with 200 "ok" on every port given. */
export function nginxConf(o: { dir: string; ports: readonly number[]; workers: number }): string {
  const listens = o.ports.map((p) => `    listen ${p} backlog=4096;`);
  return [
    '# written by bench/http-checks',
    'daemon off;',
    'master_process on;',
    'user root;',
    `worker_processes ${o.workers};`,
    `pid ${o.dir}/nginx.pid;`,
    `error_log ${o.dir}/nginx-error.log warn;`,
    'worker_rlimit_nofile 65536;',
    'events {',
    '  worker_connections 16384;',
    '  multi_accept on;',
    '}',
    'http {',
    '  access_log off;',
    '  keepalive_timeout 0;',
    `  client_body_temp_path ${o.dir}/nginx-body;`,
    `  proxy_temp_path ${o.dir}/nginx-proxy;`,
    `  fastcgi_temp_path ${o.dir}/nginx-fastcgi;`,
    `  uwsgi_temp_path ${o.dir}/nginx-uwsgi;`,
    `  scgi_temp_path ${o.dir}/nginx-scgi;`,
    '  server {',
    ...listens,
    '    location = /healthz { default_type text/plain; return 200 "ok\\n"; }',
    '    location = /nginx_status { stub_status; }',
    '    location / { return 404; }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Requests served so far, from nginx's stub_status page (its third line's third number). */
export function stubRequests(page: string): number {
  // Active connections: 1 \n server accepts handled requests \n 12 12 34 \n Reading: ...
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(page);
  if (!m) throw new Error(`not an nginx stub_status page: ${JSON.stringify(page.slice(0, 200))}`);
  return Number(m[3]);
}

export interface PairYaml {
  routerId: string;
  controlSocket: string;
  iface: string;
  vrid: number;
  priority: number;
  advertMs: number;
  vip: string;
  /** HTTP_GET of every (address, port) pair, or none */
  checks: null | {
    vip: string;
    ports: readonly number[];
    addresses: readonly string[];
    intervalMs: number;
    timeoutMs: number;
  };
}

/** One router of the VRRP pair; the director also checks its real servers (GET /healthz). */
export function pairYaml(c: PairYaml): string {
  const out = [
    '# written by bench/http-checks',
    'global:',
    `  router_id: ${c.routerId}`,
    `  control_socket: ${c.controlSocket}`,
    '  log_level: info',
    'vrrp_instances:',
    '  - name: VI_1',
    `    interface: ${c.iface}`,
    `    vrid: ${c.vrid}`,
    '    version: 3',
    `    priority: ${c.priority}`,
    `    advert_interval: ${c.advertMs}ms`,
    `    virtual_ips: [${c.vip}/24]`,
  ];
  if (c.checks) {
    const k = c.checks;
    out.push('virtual_servers:');
    for (const port of k.ports) {
      out.push(
        `  - address: ${k.vip}`,
        `    port: ${port}`,
        '    protocol: tcp',
        '    scheduler: rr',
        '    forwarding: nat',
        `    check_defaults: {interval: ${k.intervalMs}ms, timeout: ${k.timeoutMs}ms, rise: 1, fall: 1, retry: 0}`,
        '    real_servers:',
      );
      for (const a of k.addresses)
        out.push(
          `      - {address: ${a}, port: ${port}, check: {type: http, path: /healthz, status: [200]}}`,
        );
    }
  }
  out.push('');
  return out.join('\n');
}

/**
 * keepalived.conf with only virtual servers: every (address, port) pair a real server with
 * HTTP_GET /healthz. vrrpd reads the same file through import-keepalived.
 */
export function keepalivedChecksConf(c: {
  routerId: string;
  vip: string;
  ports: readonly number[];
  addresses: readonly string[];
  delayLoopS: number;
  connectTimeoutS: number;
}): string {
  const out = ['# written by bench/http-checks', 'global_defs {', `  router_id ${c.routerId}`, '}'];
  for (const port of c.ports) {
    out.push(
      `virtual_server ${c.vip} ${port} {`,
      `  delay_loop ${c.delayLoopS}`,
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
    );
    for (const a of c.addresses)
      out.push(
        `  real_server ${a} ${port} {`,
        '    HTTP_GET {',
        '      url {',
        '        path /healthz',
        '        status_code 200',
        '      }',
        `      connect_timeout ${c.connectTimeoutS}`,
        '      retry 0',
        '    }',
        '  }',
      );
    out.push('}');
  }
  out.push('');
  return out.join('\n');
}

/** µs of CPU per check: CPU time in ns over checks; NaN without checks. */
export function usPerCheck(cpuNs: number, checks: number): number {
  return checks > 0 ? cpuNs / 1000 / checks : Number.NaN;
}
