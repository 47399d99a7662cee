// global.notify_fifo / vrrp_notify_fifo / lvs_notify_fifo and global.smtp_alerts with the
// smtp_alert flags of instances, sync groups, virtual and real servers → the model's alerts
// (keepalived notify_fifo, notification_email, smtp_server, smtp_alert at each level).
import { parseIp } from '../net/addr.js';
import type { BuildContext } from './build-context.js';
import type {
  AlertsConfig,
  NotifyFifos,
  SmtpAlerts,
  VirtualServer,
  VrrpInstance,
  VrrpSyncGroup,
} from './model.js';
import type { RawGlobal, RawInstance, RawSyncGroup, RawVirtualServer } from './raw.js';

/** the raw config, entries with schema errors as null */
interface RawParts {
  global: RawGlobal;
  vrrp_instances: (RawInstance | null)[];
  vrrp_sync_groups: (RawSyncGroup | null)[];
  virtual_servers: (RawVirtualServer | null)[];
}

/** "host", "host:port", "[v6]:port", or a bare IPv6 address → host and port (default 25). */
export function parseSmtpServer(text: string): { host: string; port: number } | null {
  let host = text;
  let port = 25;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
    if (parseIp(host)?.family !== 6) return null;
  } else if (parseIp(text)?.family === 6) {
    host = text;
  } else {
    const m = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
    if (!m) return null;
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
  }
  return port >= 1 && port <= 65535 ? { host, port } : null;
}

export function buildAlerts(
  ctx: BuildContext,
  raw: RawParts,
  built: {
    vrrpInstances: readonly VrrpInstance[];
    vrrpSyncGroups: readonly VrrpSyncGroup[];
    virtualServers: readonly VirtualServer[];
  },
  hostname: string,
): AlertsConfig | undefined {
  const g = raw.global;
  const fifos: NotifyFifos = {
    ...(g.notify_fifo !== undefined ? { all: g.notify_fifo } : {}),
    ...(g.vrrp_notify_fifo !== undefined ? { vrrp: g.vrrp_notify_fifo } : {}),
    ...(g.lvs_notify_fifo !== undefined ? { lvs: g.lvs_notify_fifo } : {}),
  };
  const paths = Object.entries(fifos);
  for (const [i, [k, v]] of paths.entries()) {
    const other = paths.slice(0, i).find(([, w]) => w === v);
    if (other) {
      ctx.error(
        ['global', k === 'all' ? 'notify_fifo' : `${k}_notify_fifo`],
        'CONFIG_DUPLICATE',
        `global.${k === 'all' ? 'notify_fifo' : `${k}_notify_fifo`} is the same FIFO as global.${other[0] === 'all' ? 'notify_fifo' : `${other[0]}_notify_fifo`} (${v}): each FIFO must be different`,
      );
    }
  }
  const s = g.smtp_alerts;
  let smtp: SmtpAlerts | undefined;
  if (s === undefined) {
    // an smtp_alert with nowhere to send it would do nothing: say so
    const flagged = (list: readonly ({ smtp_alert?: boolean } | null)[] | undefined, path: string) =>
      (list ?? []).forEach((x, i) => {
        if (x?.smtp_alert === true)
          ctx.error(
            [path, i, 'smtp_alert'],
            'CONFIG_NOT_APPLICABLE',
            'smtp_alert needs global.smtp_alerts (the SMTP server and the recipients)',
            true,
          );
      });
    flagged(raw.vrrp_instances, 'vrrp_instances');
    flagged(raw.vrrp_sync_groups, 'vrrp_sync_groups');
    flagged(raw.virtual_servers, 'virtual_servers');
    (raw.virtual_servers ?? []).forEach((v, i) => {
      (v?.real_servers ?? []).forEach((r, j) => {
        if (r?.smtp_alert === true)
          ctx.error(
            ['virtual_servers', i, 'real_servers', j, 'smtp_alert'],
            'CONFIG_NOT_APPLICABLE',
            'smtp_alert needs global.smtp_alerts (the SMTP server and the recipients)',
            true,
          );
      });
    });
  } else {
    const server = parseSmtpServer(s.server);
    if (!server) {
      ctx.error(
        ['global', 'smtp_alerts', 'server'],
        'CONFIG_BAD_VALUE',
        `global.smtp_alerts.server must be HOST, HOST:PORT or [IPv6]:PORT, not '${s.server}'`,
      );
    }
    const on = (x: { smtp_alert?: boolean }, dflt: boolean) => x.smtp_alert ?? dflt;
    const instances = (raw.vrrp_instances ?? []).flatMap((x) => (x && on(x, s.vrrp) ? [x.name] : []));
    const groups = (raw.vrrp_sync_groups ?? []).flatMap((x) => (x && on(x, s.vrrp) ? [x.name] : []));
    const virtualServers: string[] = [];
    const realServers: string[] = [];
    (raw.virtual_servers ?? []).forEach((v, i) => {
      const vs = built.virtualServers[i];
      if (!vs || !v) return;
      if (on(v, s.checker)) virtualServers.push(vs.key);
      (v.real_servers ?? []).forEach((r, j) => {
        const rs = vs.realServers[j];
        if (rs && r && on(r, s.checker)) realServers.push(`${vs.key} ${rs.key}`);
      });
    });
    if (server) {
      smtp = {
        host: server.host,
        port: server.port,
        from: s.from ?? `vrrpd@${hostname}`,
        to: [...s.to],
        heloName: s.helo_name ?? hostname,
        connectTimeoutMs: ctx.positiveMs(['global', 'smtp_alerts', 'connect_timeout'], s.connect_timeout),
        instances: instances.filter((n) => built.vrrpInstances.some((x) => x.name === n)),
        groups: groups.filter((n) => built.vrrpSyncGroups.some((x) => x.name === n)),
        virtualServers,
        realServers,
      };
    }
  }
  if (paths.length === 0 && !smtp) return undefined;
  return { fifos, ...(smtp ? { smtp } : {}) };
}
