// `vrrpd import-ipvsadm` round trip against real IPVS (issue 18): one guest boot (or a fresh
// host netns when the host kernel has IPVS) runs, for each input,
//   A   the input applied by ipvsadm itself (ipvsadm-restore, or the boot script run by sh)
//   B1  vrrpd started on `import-ipvsadm` of the same input over table A (the takeover of a
//       hand-kept table: it must find nothing to change)
//   B2  the table cleared (ipvsadm -C, timeouts changed), vrrpd started again on the same file
// and the test requires A = B1 = B2: `ipvsadm-save -n` and the thresholds (which
// ipvsadm-save does not print) compared sorted. No checks: every real server counts as up.
// The inputs: test/vm/cases/ipvsadm-roundtrip.rules (TCP/UDP/SCTP/fwmark/IPv6 services,
// every scheduler, sh/mh flags, persistence with netmask and prefix length, each
// forwarding method and tunnel type, weights, thresholds) and
// test/vm/cases/ipvsadm-roundtrip-boot.sh (long options, continuations, edits, deletes).
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODULES, ensureBuilt, ipvsMissing, type JobResult, runJob } from './guest.js';

const skip = ipvsMissing();

const SCHEDULERS = ['lc', 'wlc', 'dh', 'lblc', 'lblcr', 'sed', 'nq', 'ovf', 'fo', 'mh'].map(
  (s) => `ip_vs_${s}`,
);

const CASES = [
  { name: 'rules', file: 'test/vm/cases/ipvsadm-roundtrip.rules', apply: 'ipvsadm-restore < "$IN"' },
  { name: 'boot', file: 'test/vm/cases/ipvsadm-roundtrip-boot.sh', apply: 'sh "$IN"' },
];

// Runs inside the guest with the repository as cwd; results go to $VM_SHARE.
const JOB = `
set -u
MAIN=dist/src/cli/main.js
D=$(mktemp -d /tmp/import-ipvsadm.XXXXXX)
snap() {
  ipvsadm-save -n | sort > "$VM_SHARE/$1.save"
  ipvsadm -Ln --thresholds | awk '/^(TCP|UDP|SCTP|FWM)/ { s = $1 " " $2; next } /->/ { print s, $2, $3, $4 }' \\
    | sort > "$VM_SHARE/$1.thr"
  ipvsadm -Ln --timeout > "$VM_SHARE/$1.timeout"
}
start() {
  node "$MAIN" run -c "$D/$CASE.yaml" > "$VM_SHARE/$1.log" 2>&1 &
  PID=$!
  i=0
  until grep -q '"event":"started"' "$VM_SHARE/$1.log"; do
    i=$((i + 1))
    if [ $i -gt 600 ] || ! kill -0 $PID 2>/dev/null; then echo "vrrpd ($1) did not start" >&2; kill $PID 2>/dev/null; return 1; fi
    sleep 0.05
  done
}
stop() { kill -TERM $PID; wait $PID; echo "$?" > "$VM_SHARE/$1.rc"; }
run_case() {
  CASE=$1 IN=$2
  ipvsadm -C
  eval "$3" > "$VM_SHARE/$CASE-apply.out" 2>&1 || { echo "applying $IN with ipvsadm failed" >&2; cat "$VM_SHARE/$CASE-apply.out" >&2; return 1; }
  snap "$CASE-A"
  node "$MAIN" import-ipvsadm --strict "$IN" > "$D/$CASE.yaml" 2> "$VM_SHARE/$CASE-import.err" || { echo "import of $IN failed" >&2; cat "$VM_SHARE/$CASE-import.err" >&2; return 1; }
  cat >> "$D/$CASE.yaml" <<YAML
global:
  control_socket: $D/$CASE.sock
  state_file: $D/$CASE-owned.json
  log_level: debug
YAML
  cp "$D/$CASE.yaml" "$VM_SHARE/$CASE.yaml"
  start "$CASE-B1" && snap "$CASE-B1" && stop "$CASE-B1" || return 1
  ipvsadm -C
  ipvsadm --set 11 12 13
  start "$CASE-B2" && snap "$CASE-B2" && stop "$CASE-B2" || return 1
}
rc=0
${CASES.map((c) => `run_case ${c.name} ${c.file} '${c.apply}' || rc=1`).join('\n')}
ipvsadm -C
rm -rf "$D"
exit $rc
`;

describe.skipIf(skip !== null)('import-ipvsadm round trip against real IPVS', () => {
  let run: JobResult;
  beforeAll(async () => {
    ensureBuilt();
    run = await runJob(JOB, {
      timeoutS: 300,
      memMb: 768,
      modules: [...DEFAULT_MODULES, ...SCHEDULERS, 'ipip', 'fou', 'ip_gre'],
    });
    console.log(`import-ipvsadm round trip ran on the ${run.where} in ${run.durationMs.toFixed(0)} ms`);
    if (run.rc !== 0)
      throw new Error(
        `round-trip job failed (rc ${run.rc}):\n${run.stderr}\n${Object.entries(run.files)
          .filter(([n]) => n.endsWith('.log') || n.endsWith('.err'))
          .map(([n, t]) => `--- ${n}\n${t.split('\n').slice(-30).join('\n')}`)
          .join('\n')}\n${run.console.slice(-2000)}`,
      );
  }, 320_000);

  const lines = (name: string): string[] => {
    const t = run.files[name];
    expect(t, `${name} was not written`).toBeDefined();
    return (t ?? '').split('\n').filter((l) => l !== '');
  };

  for (const c of CASES) {
    describe(c.file, () => {
      it('ipvsadm built a rich table (A)', () => {
        const a = lines(`${c.name}-A.save`);
        expect(a.length).toBeGreaterThan(c.name === 'rules' ? 40 : 10);
        expect(run.files[`${c.name}-import.err`], 'import warnings (--strict)').toBe('');
      });

      it('vrrpd taking over table A changes nothing: B1 = A, and no IPVS change was made', () => {
        expect(lines(`${c.name}-B1.save`)).toEqual(lines(`${c.name}-A.save`));
        expect(lines(`${c.name}-B1.thr`)).toEqual(lines(`${c.name}-A.thr`));
        const log = run.files[`${c.name}-B1.log`] ?? '';
        expect(log).toContain('"event":"ipvs-reconcile"');
        expect(log, 'vrrpd changed the table it took over').not.toContain('"event":"ipvs-change"');
        expect(run.files[`${c.name}-B1.rc`]?.trim()).toBe('0');
      });

      it('vrrpd on an empty table builds the same: B2 = A (ipvsadm-save -n and thresholds)', () => {
        expect(lines(`${c.name}-B2.save`)).toEqual(lines(`${c.name}-A.save`));
        expect(lines(`${c.name}-B2.thr`)).toEqual(lines(`${c.name}-A.thr`));
        expect(run.files[`${c.name}-B2.log`] ?? '').toContain('"event":"ipvs-change"');
        expect(run.files[`${c.name}-B2.rc`]?.trim()).toBe('0');
      });

      if (c.name === 'boot')
        it('--set becomes lvs_timeouts: vrrpd sets the connection timeouts back from 11 12 13', () => {
          expect(run.files['boot-A.timeout']).toContain('Timeout (tcp tcpfin udp): 900 120 300');
          expect(run.files['boot-B2.timeout']).toBe(run.files['boot-A.timeout']);
        });
    });
  }

  it('the rich table has what it is meant to cover', () => {
    const a = lines('rules-A.save').join('\n');
    for (const s of ['-s rr', '-s wrr', '-s lc', '-s wlc', '-s dh', '-s lblc', '-s lblcr', '-s sed', '-s nq'])
      expect(a).toContain(s);
    for (const s of ['-s ovf', '-s fo', '-s mh', '-s sh', '-b sh-fallback,sh-port', '-b mh-fallback,mh-port'])
      expect(a).toContain(s);
    for (const s of ['-u ', '--sctp-service', '-f 6 -6', '-M 255.255.255.0', '-M 96', '-M 64', '-o'])
      expect(a).toContain(s);
    for (const s of [' -m ', ' -g ', '--tun-type ipip', '--tun-type gue --tun-port 6080', '--tun-type gre'])
      expect(a).toContain(s);
    expect(lines('rules-A.thr')).toContain('TCP 192.0.2.10:80 198.51.100.2:8080 100 10');
  });
});
