// `vrrpd import-ipvsadm`: ipvsadm-save output and boot scripts → virtual_servers YAML.
// The corpus (test/fixtures/ipvsadm/) has the expected YAML beside each input; every output
// passes check-config. The cases below pin ipvsadm's own rules as measured in the IPVS
// guest (its defaults, and an edit resetting what it does not name).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImportIpvsadm, servicesLookup } from '../../src/cli/import-ipvsadm.js';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importIpvsadm } from '../../src/config/ipvsadm-import.js';

const dir = join(import.meta.dirname, '../fixtures/ipvsadm');
const servicesFile = join(dir, 'services');
const servicePort = servicesLookup(readFileSync(servicesFile, 'utf8'));
const corpus = readdirSync(dir)
  .filter((f) => f.endsWith('.save') || f.endsWith('.sh'))
  .sort();

const imp = (text: string) => importIpvsadm(text, { sourceName: 't', servicePort });
const model = (yaml: string) => {
  const c = parseConfigText(yaml, 'imported.yaml', { hostname: 'h' });
  if (!c.ok) throw new Error(`check-config fails:\n${c.errors.map(formatConfigError).join('\n')}\n${yaml}`);
  return c.config;
};

describe('the corpus', () => {
  it('has inputs', () => expect(corpus.length).toBeGreaterThanOrEqual(5));
  for (const f of corpus) {
    it(`${f}: the expected YAML, and it passes check-config`, () => {
      const r = importIpvsadm(readFileSync(join(dir, f), 'utf8'), { sourceName: f, servicePort });
      const golden = join(dir, f.replace(/\.(save|sh)$/, '.yaml'));
      if (process.env.UPDATE_IPVSADM_GOLDEN === '1') writeFileSync(golden, r.yaml);
      expect(existsSync(golden), `${golden} is missing: UPDATE_IPVSADM_GOLDEN=1 writes it`).toBe(true);
      expect(
        r.yaml,
        `${f}: import differs from ${golden}; after a deliberate change: UPDATE_IPVSADM_GOLDEN=1 npx vitest run --project unit test/unit/config-ipvsadm-import.test.ts`,
      ).toBe(readFileSync(golden, 'utf8'));
      model(r.yaml);
      // one warning per `not carried over` comment
      expect(r.warnings.length).toBe((r.yaml.match(/# not carried over \(line \d+\)/g) ?? []).length);
    });
  }
});

describe('ipvsadm-save -n', () => {
  const rich = readFileSync(join(dir, 'guest-rich.save'), 'utf8');
  it('carries every service and real server option vrrpd has', () => {
    const r = imp(rich);
    const c = model(r.yaml);
    const byKey = new Map(c.virtualServers.map((v) => [v.key, v]));
    const web = byKey.get('tcp:192.0.2.10:80')!;
    expect(web.scheduler).toBe('sh');
    expect(web.flags).toEqual({
      ops: false,
      shFallback: true,
      shPort: true,
      mhFallback: false,
      mhPort: false,
    });
    expect(web.persistenceTimeoutS).toBe(600);
    expect(web.persistencePrefixLength).toBe(24);
    const rs = new Map(web.realServers.map((x) => [x.key, x]));
    expect(rs.get('198.51.100.2:8080')).toMatchObject({ forwarding: 'nat', weight: 3 });
    expect(rs.get('198.51.100.3:80')).toMatchObject({ forwarding: 'dr', weight: 0 });
    expect(rs.get('198.51.100.4:80')).toMatchObject({
      forwarding: 'tun',
      tunnel: { type: 'gue', port: 6080 },
    });
    expect(rs.get('198.51.100.5:80')).toMatchObject({ forwarding: 'tun', tunnel: { type: 'gre' } });
    expect(byKey.get('tcp:192.0.2.13:0')).toMatchObject({ scheduler: 'fo', persistenceTimeoutS: 60 });
    expect(byKey.get('udp:192.0.2.10:53')).toMatchObject({ protocol: 'udp', flags: { ops: true } });
    expect(byKey.get('sctp:192.0.2.12:9')).toMatchObject({ protocol: 'sctp', scheduler: 'wlc' });
    expect(byKey.get('tcp:[2001:db8::10]:443') ?? byKey.get('tcp:2001:db8::10:443')).toMatchObject({
      family: 6,
      persistencePrefixLength: 96,
    });
    const mh = byKey.get('fwmark:5:4')!;
    expect(mh.flags).toMatchObject({ mhFallback: true, mhPort: true });
    expect(mh.realServers[0]).toMatchObject({ address: '198.51.100.9', port: 0, forwarding: 'dr' });
    expect(byKey.get('fwmark:6:6')).toMatchObject({ family: 6, persistencePrefixLength: 64 });
  });

  it('names what it cannot carry: tunnel checksums, --pe sip, each once', () => {
    const r = imp(rich);
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toMatch(
      /^t:5: not carried over: .*--tun-csum.* because vrrpd sets no tunnel checksum flags/,
    );
    expect(r.warnings[1]).toMatch(/^t:6: not carried over: .*--tun-remcsum/);
    expect(r.warnings[2]).toMatch(
      /^t:10: not carried over: .*--pe sip.* because vrrpd sets no persistence engine/,
    );
    expect(r.yaml).toContain('# not carried over (line 10): ');
  });

  it('service names are looked up as ipvsadm does; an unknown one is not carried over', () => {
    const named = imp(readFileSync(join(dir, 'guest-names.save'), 'utf8'));
    const c = model(named.yaml);
    expect(c.virtualServers.map((v) => v.key)).toContain('tcp:192.0.2.10:80');
    expect(c.virtualServers[0]!.realServers.map((x) => x.port)).toEqual([8080, 80, 80]);
    const r = imp('-A -t 192.0.2.1:nosuchservice -s rr\n');
    expect(r.warnings[0]).toMatch(/'nosuchservice' is not a port number or a known service name/);
  });
});

describe("ipvsadm's rules", () => {
  it("ipvsadm's defaults are written out where vrrpd's differ: -g (dr), -p alone 360s, wlc", () => {
    const c = model(imp('-A -t 192.0.2.1:80 -p\n-a -t 192.0.2.1:80 -r 198.51.100.1\n').yaml);
    const v = c.virtualServers[0]!;
    expect(v).toMatchObject({ scheduler: 'wlc', forwarding: 'dr', persistenceTimeoutS: 360 });
    expect(v.realServers[0]).toMatchObject({ port: 80, weight: 1, forwarding: 'dr' });
  });

  it('an edit resets what it does not name, as ipvsadm -E/-e do (measured in the guest)', () => {
    const c = model(
      imp(
        [
          'ipvsadm -A -t 192.0.2.10:80 -s sh -p 300 -b sh-port -M 255.255.0.0',
          'ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.2 -m -w 5 -x 10 -y 2',
          'ipvsadm -E -t 192.0.2.10:80',
          'ipvsadm -e -t 192.0.2.10:80 -r 198.51.100.2',
        ].join('\n'),
      ).yaml,
    );
    const v = c.virtualServers[0]!;
    expect(v).toMatchObject({ scheduler: 'wlc', persistenceTimeoutS: 0, flags: { shPort: false } });
    expect(v.realServers[0]).toMatchObject({
      forwarding: 'dr',
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    });
  });

  it('long options, --opt=value, bundled short options, continuations, comments, lists', () => {
    const text = [
      '#!/bin/sh',
      '# comment',
      'ipvsadm --add-service --udp-service 192.0.2.5:53 \\',
      '   --scheduler=rr --ops   # dns',
      'ipvsadm -a -u 192.0.2.5:53 -r 198.51.100.5 -m -w7 -x100 -y50; ipvsadm -a -u 192.0.2.5:53 -r 198.51.100.6 -m',
      'ipvsadm -A -f 0x10 -s rr -p600 -M 255.255.255.0 && ipvsadm -a -f 16 -r 198.51.100.7:0 -i',
      '/usr/sbin/ipvsadm -A --fwmark-service 17 --ipv6 --scheduler mh --sched-flags mh-fallback,flag-2',
      "ipvsadm -a -f 17 -6 -r '[2001:db8::7]' -g >/dev/null 2>&1 || true",
    ].join('\n');
    const r = imp(text);
    expect(r.warnings).toEqual([]);
    const c = model(r.yaml);
    const [dns, f16, f17] = c.virtualServers;
    expect(dns).toMatchObject({ protocol: 'udp', scheduler: 'rr', forwarding: 'nat', flags: { ops: true } });
    expect(dns!.realServers[0]).toMatchObject({
      weight: 7,
      upperThreshold: 100,
      lowerThreshold: 50,
      port: 53,
    });
    expect(dns!.realServers).toHaveLength(2);
    expect(f16).toMatchObject({ fwmark: 16, persistenceTimeoutS: 600, persistencePrefixLength: 24 });
    expect(f16!.realServers[0]).toMatchObject({ forwarding: 'tun', tunnel: { type: 'ipip' } });
    expect(f17).toMatchObject({ fwmark: 17, family: 6, flags: { mhFallback: true, mhPort: true } });
    expect(f17!.realServers[0]).toMatchObject({ address: '2001:db8::7', port: 0 });
  });

  it('-C starts the table over; -D and -d remove; --set gives lvs_timeouts', () => {
    const r = imp(
      [
        'ipvsadm -A -t 192.0.2.1:80',
        'ipvsadm -C',
        'ipvsadm --set 900 0 60',
        'ipvsadm -A -t 192.0.2.2:80',
        'ipvsadm -a -t 192.0.2.2:80 -r 198.51.100.1',
        'ipvsadm -a -t 192.0.2.2:80 -r 198.51.100.2',
        'ipvsadm -d -t 192.0.2.2:80 -r 198.51.100.1:80',
        'ipvsadm -A -t 192.0.2.3:80',
        'ipvsadm -D -t 192.0.2.3:80',
      ].join('\n'),
    );
    expect(r.warnings).toEqual([]);
    expect(r.yaml).toContain("# note (line 2): 'ipvsadm -C': the 1 service(s) made before it are left out");
    const c = model(r.yaml);
    expect(c.virtualServers.map((v) => v.key)).toEqual(['tcp:192.0.2.2:80']);
    expect(c.virtualServers[0]!.realServers.map((x) => x.key)).toEqual(['198.51.100.2:80']);
    expect(c.lvsTimeouts).toEqual({ tcpS: 900, udpS: 60 });
  });

  it('what ipvsadm refuses, or vrrpd cannot carry, is named with its line', () => {
    const r = imp(readFileSync(join(dir, 'boot-edits.sh'), 'utf8'));
    const why = r.warnings.map((w) => w.replace(/^t:(\d+): not carried over: '[^']*' because /, '$1 '));
    expect(why).toEqual([
      '22 there is no service 192.0.2.99:80 at that point (ipvsadm fails the same)',
      '23 service tcp 192.0.2.30:80 already exists (ipvsadm fails: use -E to edit it)',
      '24 port 0 (all ports) needs -p (persistence); ipvsadm refuses it too',
      '25 -o (one-packet scheduling) is for UDP services; ipvsadm refuses it too',
      "26 'lb.example.test' is not an IP address (vrrpd does not resolve host names: write the address)",
    ]);
  });

  it('flags vrrpd does not set: flag-3, flag-1/2 under other schedulers, the empty -b of ipvsadm-save', () => {
    const r = imp(readFileSync(join(dir, 'guest-flags.save'), 'utf8'));
    expect(r.warnings.join('\n')).toMatch(
      /:5: .*flag-1 and flag-2 only for the sh and mh schedulers.*this one is rr/,
    );
    expect(r.warnings.join('\n')).toMatch(/:7: .*-b has no flags/);
    expect(imp('-A -t 192.0.2.1:80 -s sh -b flag-3\n').warnings[0]).toMatch(/does not set flag-3/);
    expect(imp('-A -t 2001:db8::1:80 -s rr\n').warnings[0]).toMatch(
      /IPv6 service is written \[address\]:port/,
    );
  });

  it('nothing is silent: a line that is not an ipvsadm command is a warning, a listing a note', () => {
    const r = imp(
      'echo 1 > /proc/sys/net/ipv4/ip_forward\nipvsadm -Ln\nipvsadm -A -t $VIP:80\nipvsadm --bogus\n',
    );
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toMatch(/^t:1: .*not an ipvsadm command/);
    expect(r.warnings[1]).toMatch(/^t:3: .*shell expansion/);
    expect(r.warnings[2]).toMatch(/^t:4: .*'--bogus' is not an ipvsadm option/);
    expect(r.yaml).toContain("# note (line 2): 'ipvsadm -Ln': a listing");
  });

  it('the shell stops at exit: what follows is left out, with a note', () => {
    const r = imp('ipvsadm -A -t 192.0.2.1:80\nexit 0\nipvsadm -A -t 192.0.2.2:80\n');
    expect(r.warnings).toEqual([]);
    expect(model(r.yaml).virtualServers.map((v) => v.key)).toEqual(['tcp:192.0.2.1:80']);
    expect(r.yaml).toContain('# note (line 3): left out: the script exits at line 2, before it');
  });

  it('never throws on a cut or garbled input', () => {
    const all = corpus.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    for (let cut = 0; cut < all.length; cut += 17) {
      const part = all.slice(0, cut);
      expect(() => imp(part), `cut at ${cut}`).not.toThrow();
      expect(() => imp(part.replace(/[0-9]/g, 'x')), `garbled at ${cut}`).not.toThrow();
    }
  });
});

describe('vrrpd import-ipvsadm (the command)', () => {
  const io = () => {
    const o = { out: '', err: '' };
    const io = {
      out: (t: string) => {
        o.out += t;
      },
      err: (t: string) => {
        o.err += t;
      },
    };
    return { o, io };
  };
  it('reads standard input for -, writes YAML, warnings on stderr; --strict exits 1 then', async () => {
    const input = Buffer.from('-A -u 192.0.2.1:5060 -s rr -p 60 --pe sip\n');
    const a = io();
    expect(await runImportIpvsadm('-', a.io, { stdin: async () => input, servicesFile })).toBe(0);
    expect(a.o.out).toContain('virtual_servers:');
    expect(a.o.err).toMatch(/^warning: stdin:1: not carried over: .*--pe sip/);
    const b = io();
    expect(await runImportIpvsadm('-', b.io, { stdin: async () => input, strict: true, servicesFile })).toBe(
      1,
    );
    expect(b.o.err).toContain('stdin: 1 statement(s) not carried over (--strict)');
  });
  it('a missing file exits 1', async () => {
    const a = io();
    expect(await runImportIpvsadm('/nonexistent/rules', a.io)).toBe(1);
    expect(a.o.err).toBe('/nonexistent/rules: cannot read the file: no such file\n');
  });
});

describe('the real server port', () => {
  it('ipvsadm gives -g and -i real servers the service port (measured in the guest); NAT and fwmark keep theirs', () => {
    const r = imp(
      [
        '-A -t 192.0.2.1:443',
        '-a -t 192.0.2.1:443 -r 198.51.100.1:8443 -g',
        '-a -t 192.0.2.1:443 -r 198.51.100.2:8443 -i',
        '-a -t 192.0.2.1:443 -r 198.51.100.3:8443 -m',
        '-A -f 3',
        '-a -f 3 -r 198.51.100.4:99 -g',
      ].join('\n'),
    );
    expect(r.warnings).toEqual([]);
    expect(r.yaml).toContain(
      '# note (line 2): port 8443 of 198.51.100.1:8443 is ignored by ipvsadm: a -g real server gets the service port, 443',
    );
    const [vs, fw] = model(r.yaml).virtualServers;
    expect(vs!.realServers.map((x) => x.key)).toEqual([
      '198.51.100.1:443',
      '198.51.100.2:443',
      '198.51.100.3:8443',
    ]);
    expect(fw!.realServers[0]).toMatchObject({ port: 99 });
  });
});
