// A small slice of bench/auth-hmac (the whole bench runs daemons in namespaces): both
// daemons' files are valid and alike, and the in-process cost runs and verifies.
import { describe, expect, it } from 'vitest';
import { inProcessCost, keepalivedConf, vrrpdYaml } from '../../bench/lib/auth.js';
import { parseConfigText } from '../../src/config/index.js';

describe('bench/auth-hmac', () => {
  it('the vrrpd file loads with auth_hmac; the keepalived file carries the same key', () => {
    const r = parseConfigText(
      vrrpdYaml({ priority: 150, advertMs: 10, auth: true, socket: '/tmp/x.sock' }),
      'b.yaml',
      {
        hostname: 'h',
      },
    );
    expect(r.ok && r.config.vrrpInstances[0]!.authHmac?.activeKey).toBe(1);
    const key = r.ok ? r.config.vrrpInstances[0]!.authHmac!.keys[0]!.hex : '';
    expect(keepalivedConf({ priority: 150, advertMs: 10, auth: true })).toContain(`key 1 hex:${key}`);
    expect(keepalivedConf({ priority: 150, advertMs: 10, auth: false })).not.toContain('auth_hmac');
  });

  it('the in-process cost runs, and every signed advert verifies', () => {
    const c = inProcessCost(200);
    expect(c.ok).toBe(true);
    expect(c.signUs).toBeGreaterThan(0);
    expect(c.verifyUs).toBeGreaterThan(0);
  });
});
