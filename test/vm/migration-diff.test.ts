// Migration without surprises, LVS side: keepalived and vrrpd (on `vrrpd import-keepalived`
// of the same keepalived.conf) build the same IPVS table on the same real servers: a
// virtual_server_group (address range, second port, fwmark), several checkers and urls per
// real server (one real server failing one url, one failing its TCP_CHECK),
// inhibit_on_failure, and GUE/GRE tunnels with checksums. One boot runs both, one after the
// other (test/vm/cases/migration-cases.ts); a missing guest fails in CI and skips locally.
import { beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../helpers/env.js';
import { ipvsMissing, type JobResult, runNodeJob } from './guest.js';

const skip = ipvsMissing() ?? missing({ commands: ['keepalived', 'ipvsadm-save'] });

interface Result {
  problems: string[];
  keepalived?: string[];
  vrrpd?: string[];
  vrrpdTunInfo?: string;
  keepalivedMs?: number;
  vrrpdMs?: number;
  keepalivedHooks?: string[];
  vrrpdHooks?: string[];
}

describe.skipIf(skip !== null)(
  'keepalived and vrrpd build the same IPVS table (differential, real IPVS)',
  () => {
    let run: JobResult;
    let r: Result;

    beforeAll(async () => {
      run = await runNodeJob('test/vm/cases/migration-cases.ts', [], {
        timeoutS: 300,
        modules: ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'nf_conntrack', 'veth'],
      });
      console.log(`migration cases ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms`);
      if (run.rc !== 0 || !run.files['results.json'])
        throw new Error(`case runner failed (rc ${run.rc}):\n${run.stderr}\n${run.console.slice(-3000)}`);
      r = JSON.parse(run.files['results.json']) as Result;
      if (r.problems.length) {
        for (const f of ['keepalived.log', 'vrrpd.log', 'vrrpd.yaml'])
          console.log(`--- ${f}\n${(run.files[f] ?? '').split('\n').slice(-80).join('\n')}`);
      }
    }, 320_000);

    it('both tables settle, and they are equal (ipvsadm-save -n, sorted)', () => {
      expect(r.problems).toEqual([]);
      console.log(
        `keepalived settled in ${r.keepalivedMs} ms, vrrpd in ${r.vrrpdMs} ms\n${r.vrrpd!.join('\n')}`,
      );
      expect(r.vrrpd).toEqual(r.keepalived);
    });

    it('the table is the one the file means: group services, only the real server passing every check, inhibit, tunnels', () => {
      expect(r.vrrpd).toEqual(
        [
          '-A -f 5 -s rr',
          '-a -f 5 -r 198.51.100.2:80 -m -w 1',
          '-A -t 192.0.2.10:80 -s rr',
          '-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1',
          '-A -t 192.0.2.11:80 -s rr',
          '-a -t 192.0.2.11:80 -r 198.51.100.2:80 -m -w 1',
          '-A -t 192.0.2.30:8080 -s rr',
          '-a -t 192.0.2.30:8080 -r 198.51.100.2:80 -m -w 1',
          '-A -t 192.0.2.40:80 -s wrr',
          '-a -t 192.0.2.40:80 -r 198.51.100.2:80 -g -w 3',
          '-a -t 192.0.2.40:80 -r 198.51.100.4:80 -g -w 0',
          '-A -t 192.0.2.20:443 -s rr',
          '-a -t 192.0.2.20:443 -r 198.51.100.5:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum',
          '-a -t 192.0.2.20:443 -r 198.51.100.6:443 -i -w 1 --tun-type gre --tun-csum',
        ].sort(),
      );
    });

    it('omega: at shutdown both run notify_down of the up real server and quorum_down; alpha: no notify_down for a server that never was up', () => {
      expect(r.keepalivedHooks).toEqual(['quorum-down', 'rs2-down']);
      expect(r.vrrpdHooks).toEqual(r.keepalivedHooks);
    });

    it('ipvsadm -Ln --tun-info reads the tunnels back as vrrpd set them', () => {
      const lines = (r.vrrpdTunInfo ?? '').split('\n');
      // ipvsadm's TunnelInfo: TYPE[:PORT]:FLAGS, r = remote checksum, +c = checksum
      expect(lines.find((l) => l.includes('198.51.100.5:443'))).toMatch(/Tunnel\s+gue:6080:r\+c\s/);
      expect(lines.find((l) => l.includes('198.51.100.6:443'))).toMatch(/Tunnel\s+gre:\+c\s/);
    });
  },
);
