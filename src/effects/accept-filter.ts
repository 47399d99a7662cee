// RFC 5798 §6.4.3 Accept_Mode: a master that is not the address owner and has accept off
// must not accept packets addressed to its VIPs. vrrpd keeps that in one nftables table of
// its own, `inet vrrpd`, so that an operator sees (and audits) it with `nft list table inet
// vrrpd`: one counted drop rule per VIP of such a master, commented with the instance name.
// The table is replaced whole in one nft transaction (`nft -f -`) at every change, and
// deleted when no rule is needed (and at start, so that a run killed with SIGKILL leaves
// nothing behind after the next start).
//
// Not dropped: neighbour solicitations and adverts (RFC 5798 §6.4.3 still requires ND for
// the VIPs); ARP is not seen by the inet family at all. The chain sits at the filter
// priority of the input hook, before IPVS (which takes its packets later in LOCAL_IN), as
// keepalived's own rules do: a director serving IPVS on its VIPs needs accept on.
import { spawn } from 'node:child_process';
import type { AcceptDrop, AcceptFilter } from './types.js';

export const ACCEPT_TABLE_FAMILY = 'inet';
export const ACCEPT_TABLE_NAME = 'vrrpd';
export const ACCEPT_TABLE = `${ACCEPT_TABLE_FAMILY} ${ACCEPT_TABLE_NAME}`;

const quoted = (s: string): string => `"${s.replace(/["\\]/g, '')}"`;

/** The nft script that makes the table hold exactly these drops (none: no table). */
export function acceptFilterScript(drops: readonly AcceptDrop[]): string {
  // creating then deleting in one transaction removes the table whether it was there or not
  const lines = [`table ${ACCEPT_TABLE}`, `delete table ${ACCEPT_TABLE}`];
  if (drops.length === 0) return `${lines.join('\n')}\n`;
  lines.push(`table ${ACCEPT_TABLE} {`);
  lines.push('  chain input {');
  lines.push('    type filter hook input priority filter; policy accept;');
  if (drops.some((d) => d.family === 6)) {
    lines.push(
      '    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept comment "ND for the VIPs stays answered (RFC 5798 6.4.3)"',
    );
  }
  for (const d of drops) {
    const match = d.family === 4 ? `ip daddr ${d.address}` : `ip6 daddr ${d.address}`;
    lines.push(`    ${match} counter drop comment ${quoted(`${d.instance}: master, accept off`)}`);
  }
  lines.push('  }');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function runNft(nft: string, script: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(nft, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 4000) err += b.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          Object.assign(
            new Error(
              `nft -f - ${signal ? `killed by ${signal}` : `exited ${code}`}: ${err.trim().split('\n')[0] ?? ''}`,
            ),
            { code: 'VRRP_ACCEPT_FILTER_FAILED' },
          ),
        );
    });
    child.stdin.on('error', () => {});
    child.stdin.end(script);
  });
}

/** The accept filter through the nft program (nftables; `nft` on PATH unless given). */
export function createAcceptFilter(opts: { nft?: string; timeoutMs?: number } = {}): AcceptFilter {
  const nft = opts.nft ?? 'nft';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    table: ACCEPT_TABLE,
    apply: (drops) =>
      runNft(nft, acceptFilterScript(drops), timeoutMs).catch((err: NodeJS.ErrnoException) => {
        // without nft there is no table of ours to remove: only drops need it
        if (drops.length === 0 && err.code === 'ENOENT') return;
        throw err.code === 'ENOENT'
          ? Object.assign(new Error(`${nft} is not installed (the nftables package): ${err.message}`), {
              code: 'VRRP_ACCEPT_FILTER_FAILED',
            })
          : err;
      }),
  };
}
