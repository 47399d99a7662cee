// global.state_file: the record of owned IPVS services (src/lvs/ownership.ts). Default,
// a custom path, and the paths refused with their position.
import { describe, expect, it } from 'vitest';
import { configSchema, parseConfigText } from '../../src/config/index.js';

const text = (stateFile?: string) =>
  [
    ...(stateFile === undefined ? [] : ['global:', `  state_file: ${stateFile}`]),
    'vrrp_instances:',
    '  - {name: VI_1, interface: eth0, vrid: 51, virtual_ips: [192.0.2.50/24]}',
    '',
  ].join('\n');

describe('global.state_file', () => {
  it('defaults to /var/lib/vrrpd/ipvs-owned.json (the systemd StateDirectory)', () => {
    const r = parseConfigText(text(), 'f.yaml');
    expect(r.ok && r.config.global.stateFile).toBe('/var/lib/vrrpd/ipvs-owned.json');
  });

  it('takes an absolute path', () => {
    const r = parseConfigText(text('/var/lib/vrrpd/lb2.json'), 'f.yaml');
    expect(r.ok && r.config.global.stateFile).toBe('/var/lib/vrrpd/lb2.json');
  });

  it.each([
    ['a relative path', 'owned.json', 'CONFIG_BAD_VALUE'],
    ['a directory', '/var/lib/vrrpd/', 'CONFIG_BAD_VALUE'],
    ['an empty string', "''", undefined],
    ['a number', '5', undefined],
  ])('refuses %s at its position', (_what, value, code) => {
    const r = parseConfigText(text(value), 'f.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0]!;
    expect([e.line, e.col]).toEqual([2, 15]);
    expect(e.message).toContain('state_file');
    if (code) {
      expect(e.code).toBe(code);
      expect(e.message).toContain('absolute');
    }
  });

  it('is in the JSON Schema with its default and a description', () => {
    const g = (
      configSchema.properties as Record<string, { properties: Record<string, Record<string, unknown>> }>
    ).global!.properties.state_file!;
    expect(g.default).toBe('/var/lib/vrrpd/ipvs-owned.json');
    expect(String(g.description)).toMatch(/different files/);
  });
});
