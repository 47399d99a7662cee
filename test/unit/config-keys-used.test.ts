// No key accepted and ignored (issue #18): a configuration that sets every key of the
// schema (generated from src/config/schema.ts, one variant per check type) is built
// into the model through a proxy that records every key the builders read; a schema key
// they never read fails the test. And every field of the model must be used somewhere
// outside src/config/ (a field nobody reads at run time is a key accepted and ignored).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAlerts } from '../../src/config/build-alerts.js';
import { BuildContext } from '../../src/config/build-context.js';
import { buildLvsTimeouts, buildVirtualServers } from '../../src/config/build-lvs.js';
import { buildTrackers } from '../../src/config/build-trackers.js';
import {
  buildGlobal,
  buildInstances,
  buildLvsSyncDaemon,
  buildScripts,
  buildSyncGroups,
} from '../../src/config/build-vrrp.js';
import { buildVrrpDefaults } from '../../src/config/build-vrrp-knobs.js';
import { configSchema } from '../../src/config/schema.js';
import { validateAgainstSchema } from '../../src/config/validate-schema.js';

type Schema = Record<string, unknown>;

/** Sample values for string keys that must look like what they name, by schema path. */
const STRINGS: Record<string, unknown> = {
  'global.metrics_listen': '127.0.0.1:9650',
  'global.snmp.agentx_socket': '/var/agentx/master',
  'global.control_socket': '/run/vrrpd/test.sock',
  'global.state_file': '/var/lib/vrrpd/test.json',
  'global.notify_fifo': '/run/vrrpd/all.fifo',
  'global.vrrp_notify_fifo': '/run/vrrpd/vrrp.fifo',
  'global.lvs_notify_fifo': '/run/vrrpd/lvs.fifo',
  'global.smtp_alerts.server': '127.0.0.1:25',
  'global.smtp_alerts.to[]': 'ops@example.test',
  'virtual_servers[].real_servers[].check.file': '/run/vrrpd/drain',
  'virtual_servers[].real_servers[].checks[].file': '/run/vrrpd/drain',
  'vrrp_instances[].virtual_ips[].address': '192.0.2.50/24',
  'vrrp_instances[].virtual_ips[].label': 'eth1:1',
  'vrrp_instances[].virtual_ips[].brd': '+',
  'vrrp_instances[].virtual_ips_excluded[].address': '192.0.2.51/24',
  'vrrp_instances[].virtual_ips_excluded[].label': 'eth1:2',
  'vrrp_instances[].virtual_ips_excluded[].brd': '+',
  'vrrp_instances[].unicast_src': '192.0.2.1',
  'vrrp_instances[].unicast_peers[]': '192.0.2.2',
  'vrrp_instances[].unicast_peers[].address': '192.0.2.3',
  'vrrp_instances[].allowed_peers[]': '192.0.2.2',
  'vrrp_instances[].mcast_src': '192.0.2.1',
  'vrrp_instances[].auth_pass': 'secret',
  'vrrp_instances[].track_scripts[].name': 's1',
  'vrrp_sync_groups[].instances[]': 'VI_1',
  'lvs_sync_daemon.instance': 'VI_1',
  'virtual_servers[].address': '192.0.2.50',
  'virtual_servers[].persistence_netmask': '255.255.255.0',
  'virtual_servers[].sorry_server.address': '198.51.100.9',
  'virtual_servers[].real_servers[].address': '198.51.100.1',
  'virtual_servers[].real_servers[].check.bind_address': '192.0.2.1',
  'virtual_servers[].real_servers[].check.path': '/health',
  'virtual_servers[].real_servers[].check.digest': 'd41d8cd98f00b204e9800998ecf8427e',
  'virtual_servers[].real_servers[].check.urls[].path': '/health',
  'virtual_servers[].real_servers[].check.urls[].digest': 'd41d8cd98f00b204e9800998ecf8427e',
  'virtual_servers[].real_servers[].checks[].bind_address': '192.0.2.1',
  'virtual_servers[].real_servers[].checks[].path': '/health',
  'virtual_servers[].real_servers[].checks[].digest': 'd41d8cd98f00b204e9800998ecf8427e',
  'virtual_servers[].real_servers[].checks[].urls[].path': '/health',
  'virtual_servers[].real_servers[].checks[].urls[].digest': 'd41d8cd98f00b204e9800998ecf8427e',
  'virtual_servers[].announce.address': '192.0.2.50',
  'virtual_servers[].group': 'G1',
  'virtual_server_groups[].name': 'G1',
  'virtual_server_groups[].entries[].address': '192.0.2.60',
  'vrrp_instances[].virtual_routes[].to': '198.51.100.0/24',
  'vrrp_instances[].virtual_routes[].via': '192.0.2.254',
  'vrrp_instances[].virtual_routes[].src': '192.0.2.50',
  'vrrp_instances[].virtual_routes[].table': 'main',
  'vrrp_instances[].virtual_routes[].protocol': 'bird',
  'vrrp_instances[].virtual_rules[].from': '192.0.2.0/24',
  'vrrp_instances[].virtual_rules[].to': '198.51.100.0/24',
  'vrrp_instances[].virtual_rules[].fwmark': '0x10/0xff',
  'vrrp_instances[].virtual_rules[].table': 100,
  'vrrp_instances[].virtual_rules[].protocol': 'static',
  'track_files.*.file': '/run/vrrpd/drain',
  'vrrp_instances[].track_files[].name': 's1',
  'vrrp_instances[].track_processes[].name': 's1',
  'global.process_events_netns': '/proc/1/ns/net',
};

/** One or more sample values (variants) for a schema node; `path` names it as above. */
function samples(s: Schema, path: string): unknown[] {
  const types = ([] as unknown[]).concat(s.type ?? []);
  const props = s.properties as Record<string, Schema> | undefined;
  if (props && (types.includes('object') || types.length === 0)) {
    const discriminator = props.type?.enum as string[] | undefined;
    const variants = discriminator ? discriminator.map((t) => ({ type: t })) : [{}];
    return variants.map((v) => {
      const o: Record<string, unknown> = { ...v };
      for (const [k, sub] of Object.entries(props)) {
        if (k in o) continue;
        const p = path ? `${path}.${k}` : k;
        const sub0 = samples(sub, p);
        o[k] = sub.type === 'array' ? sub0[0] : sub0[0];
      }
      return o;
    });
  }
  if (types.includes('object') && typeof s.additionalProperties === 'object') {
    return [{ s1: samples(s.additionalProperties as Schema, `${path}.*`)[0] }];
  }
  if (types.includes('array')) {
    const items = s.items as Schema;
    return [samples(items, `${path}[]`)];
  }
  if (path in STRINGS) return [STRINGS[path]];
  if (Array.isArray(s.oneOf)) return samples((s.oneOf as Schema[])[0]!, path);
  if (s.enum) return [(s.enum as unknown[])[s.enum === undefined ? 0 : (s.enum as unknown[]).length - 1]];
  if (s.pattern && String(s.pattern).includes('ms')) return ['1s']; // durations
  if (types.includes('boolean')) return [true];
  if (types.includes('integer') || types.includes('number')) {
    const min = (s.minimum as number | undefined) ?? 0;
    return [Math.max(min, Math.min((s.maximum as number | undefined) ?? 1, 1))];
  }
  if (types.includes('string')) return [s.pattern === '^[^\\s/:]{1,15}$' ? 'eth1' : 'VI_1'];
  return [null];
}

/** Every key path the schema declares (arrays as [], maps as *). */
function schemaKeys(s: Schema, path: string, out: Set<string>): Set<string> {
  const props = s.properties as Record<string, Schema> | undefined;
  for (const [k, sub] of Object.entries(props ?? {})) {
    const p = path ? `${path}.${k}` : k;
    out.add(p);
    schemaKeys(sub, p, out);
  }
  if (typeof s.additionalProperties === 'object')
    schemaKeys(s.additionalProperties as Schema, `${path}.*`, out);
  if (s.items) schemaKeys(s.items as Schema, `${path}[]`, out);
  return out;
}

/** A deep proxy that records the key paths read (arrays as [], map entries as *). */
function recording<T>(value: T, path: string, read: Set<string>, maps: Set<string>): T {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return v;
      if (Array.isArray(target)) {
        return /^\d+$/.test(key) ? recording(v, `${path}[]`, read, maps) : v;
      }
      const p = maps.has(path) ? `${path}.*` : path ? `${path}.${key}` : key;
      if (!maps.has(path)) read.add(p);
      return recording(v, p, read, maps);
    },
    has(target, key) {
      if (typeof key === 'string' && !Array.isArray(target) && !maps.has(path))
        read.add(path ? `${path}.${key}` : key);
      return Reflect.has(target, key);
    },
  }) as T;
}

describe('no configuration key is accepted and ignored', () => {
  it('a config setting every schema key validates, and the builders read every key', () => {
    const data = samples(configSchema, '')[0] as Record<string, unknown>;
    // a virtual server is an address or a fwmark service, not both: one of each
    const [vs] = data.virtual_servers as Record<string, unknown>[];
    const { fwmark, family, ...byAddress } = vs!;
    const { address: _a, port: _p, ...rest } = vs!;
    // a real server that sets nothing itself reads what it inherits (tunnel, check
    // defaults, the virtual host of an http check)
    const inherits = { address: '198.51.100.2', port: 80, check: { type: 'http' } };
    // the first sample check is a tcp one; an http check reads its urls
    const rs0 = (byAddress.real_servers as { check: { urls: unknown } }[])[0]!;
    const withUrls = { address: '198.51.100.3', port: 80, check: { type: 'http', urls: rs0.check.urls } };
    delete (rs0.check as { urls?: unknown }).urls;
    byAddress.real_servers = [...(byAddress.real_servers as unknown[]), inherits, withUrls];
    // and a third through a group (one address entry, one fwmark entry)
    const { group, ...addressOnly } = byAddress;
    const { group: _g2, ...fwmarkOnly } = rest;
    const { fwmark: _f, family: _fa, group: _g3, ...groupBase } = rest;
    data.virtual_servers = [
      addressOnly,
      { ...fwmarkOnly, fwmark, family, real_servers: [] },
      { ...groupBase, group, real_servers: [] },
    ];
    data.virtual_server_groups = [
      {
        name: group,
        entries: [
          { address: '192.0.2.60', port: 80 },
          { fwmark: 5, family: 'inet' },
        ],
      },
    ];
    const schemaErrors = validateAgainstSchema(data);
    expect(schemaErrors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    const read = new Set<string>();
    const maps = new Set(['vrrp_scripts', 'track_files', 'track_processes']);
    const P = <T>(v: T, p: string): T => recording(v, p, read, maps);
    const ctx = new BuildContext();
    const global = buildGlobal(ctx, P(data.global, 'global') as never, 'h');
    buildScripts(ctx, P(data.vrrp_scripts, 'vrrp_scripts') as never, global.scriptTimeoutMs);
    const knobDefaults = buildVrrpDefaults(
      ctx,
      (P(data.global, 'global') as { vrrp_defaults: never }).vrrp_defaults,
    );
    const instances = buildInstances(
      ctx,
      P(data.vrrp_instances, 'vrrp_instances') as never,
      ['s1'],
      knobDefaults,
    );
    const vrrpSyncGroups = buildSyncGroups(ctx, P(data.vrrp_sync_groups, 'vrrp_sync_groups') as never, [
      'VI_1',
    ]);
    buildLvsSyncDaemon(ctx, P(data.lvs_sync_daemon, 'lvs_sync_daemon') as never, instances, ['VI_1']);
    buildLvsTimeouts(ctx, P(data.lvs_timeouts, 'lvs_timeouts') as never);
    const virtualServers = buildVirtualServers(
      ctx,
      P(data.virtual_servers, 'virtual_servers') as never,
      P(data.virtual_server_groups, 'virtual_server_groups') as never,
      global.announce,
    );
    buildAlerts(ctx, P(data, '') as never, { vrrpInstances: instances, vrrpSyncGroups, virtualServers }, 'h');
    buildTrackers(ctx, P(data, '') as never, [], instances);
    for (const top of ['global', 'vrrp_scripts', 'vrrp_instances', 'vrrp_sync_groups']) read.add(top);
    for (const top of ['lvs_sync_daemon', 'lvs_timeouts', 'virtual_servers', 'virtual_server_groups'])
      read.add(top);
    const never = [...schemaKeys(configSchema, '', new Set())].filter((k) => !read.has(k));
    expect(
      never,
      'schema keys the model builders never read (apply them at run time, or remove them)',
    ).toEqual([]);
  });

  it('every model field is used outside src/config/', () => {
    const root = join(import.meta.dirname, '../../src');
    const model = readFileSync(join(root, 'config/model.ts'), 'utf8');
    const fields = new Set([...model.matchAll(/^\s+readonly (\w+)\??:/gm)].map((m) => m[1]!));
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) {
          if (p !== join(root, 'config')) walk(p);
        } else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(root);
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    // resolved into other fields when the model is built
    const resolved = new Set([
      'scriptTimeoutMs', // → VrrpScript.timeoutMs of scripts without one
      // read through scriptIdentityOf (config/model.ts), which every script's runner calls
      'scriptUser',
      'scriptGroup',
    ]);
    const unused = [...fields]
      .filter((f) => !resolved.has(f))
      .filter((f) => !new RegExp(`\\.${f}\\b|\\b${f}\\s*[,}=]|\\{\\s*${f}\\b|\\b${f}\\s*\\?\\?`).test(text));
    expect(unused, 'model fields nothing outside src/config/ reads').toEqual([]);
  });
});
