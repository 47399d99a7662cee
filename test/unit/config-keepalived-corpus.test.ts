// A corpus of realistic keepalived.conf files (test/fixtures/keepalived/, each one accepted by
// keepalived 2.2.7's `keepalived -t`) and Debian's sample configs: each imports without a
// stack trace, and the result passes check-config or the import's warnings say why not.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import { missing } from '../helpers/env.js';

const corpusDir = join(import.meta.dirname, '../fixtures/keepalived');
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.conf'))
  .sort();
const samplesDir = '/usr/share/doc/keepalived/samples';

interface Outcome {
  ok: boolean;
  errors: string[];
  warnings: string[];
}

function importAndCheck(file: string): Outcome {
  const r = importKeepalivedConf(readFileSync(file, 'utf8'), { file });
  const c = parseConfigText(r.yaml, 'imported.yaml', { hostname: 'h' });
  return {
    ok: c.ok,
    errors: c.ok ? [] : c.errors.map(formatConfigError),
    warnings: r.warnings,
  };
}

/** passes check-config, or the import warned about something */
function expectUsable(name: string, o: Outcome): void {
  if (o.ok) return;
  expect(
    o.warnings.length,
    `${name} fails check-config without a warning:\n${o.errors.join('\n')}`,
  ).toBeGreaterThan(0);
}

describe('keepalived.conf corpus', () => {
  it('has at least 30 files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  for (const f of corpus) {
    it(`${f} imports`, () => {
      expectUsable(f, importAndCheck(join(corpusDir, f)));
    });
  }

  it('the files that need no flag pass check-config', () => {
    // files that use only what vrrpd has: they import with no warning and check-config passes
    for (const f of [
      '01-vrrp-basic-pair.conf',
      '02-vrrp-unicast.conf',
      '03-vrrp-v3-ipv6.conf',
      '05-vrrp-track-script.conf',
      '06-vrrp-track-interface.conf',
      '14-preempt-delay.conf',
      '15-lvs-nat-http.conf',
      '16-lvs-dr-tcp.conf',
      '19-lvs-fwmark.conf',
      '20-lvs-sorry-server.conf',
      '22-lvs-tun-gue.conf',
      '25-lvs-multi-check.conf',
      '26-lvs-vs-group.conf',
      '29-params-seq.conf',
      '34-director-full.conf',
      '37-sync-group-tracks.conf',
      '38-lvs-migration-diff.conf',
      '38-migration-vrrp.conf',
    ]) {
      const o = importAndCheck(join(corpusDir, f));
      expect({ f, ...o }).toEqual({ f, ok: true, errors: [], warnings: [] });
    }
  });

  it('never a stack trace: every prefix of every file imports (cut files, unbalanced braces)', () => {
    for (const f of corpus) {
      const text = readFileSync(join(corpusDir, f), 'utf8');
      for (let cut = 0; cut < text.length; cut += 37) {
        const part = text.slice(0, cut);
        expect(() => importKeepalivedConf(part), `${f} cut at ${cut}`).not.toThrow();
        expect(() => importKeepalivedConf(part.replace(/\{/g, '}')), `${f} cut at ${cut}`).not.toThrow();
      }
    }
  });

  it('every file is one keepalived 2.2.7 accepts (keepalived -t, interfaces eth0-eth3)', (ctx) => {
    const why = missing({ root: true, commands: ['keepalived', 'unshare', 'ip'] });
    if (why) return ctx.skip(why);
    const bad: string[] = [];
    for (const f of corpus) {
      // a private network namespace with the interfaces the corpus names
      const script = [
        'for p in "eth0 veth0" "eth1 veth1" "eth2 veth2" "eth3 veth3"; do',
        '  set -- $p; ip link add "$1" type veth peer name "$2" || exit 99',
        'done',
        'exec keepalived -t -f "$0"',
      ].join('\n');
      try {
        execFileSync('unshare', ['-n', 'sh', '-c', script, f], { cwd: corpusDir, stdio: 'pipe' });
      } catch (e) {
        const err = e as { status: number; stderr: Buffer };
        bad.push(`${f}: exit ${err.status}: ${err.stderr.toString().trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe("Debian's keepalived sample configs", () => {
  const samples = existsSync(samplesDir)
    ? readdirSync(samplesDir)
        .filter((f) => f.startsWith('keepalived.conf'))
        .sort()
    : [];
  it('are there', (ctx) => {
    if (samples.length === 0) {
      const why = missing({ commands: ['keepalived'] }) ?? `no samples in ${samplesDir}`;
      return ctx.skip(why);
    }
    expect(samples.length).toBeGreaterThan(10);
  });
  for (const f of samples) {
    it(`${f} imports`, () => {
      expectUsable(f, importAndCheck(join(samplesDir, f)));
    });
  }
});
