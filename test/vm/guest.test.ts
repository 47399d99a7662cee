// The launcher itself: one boot, ipvsadm inside, results back through the exchange dir.
import { describe, expect, it } from 'vitest';
import { ipvsMissing, runJob } from './guest.js';

const skip = ipvsMissing();

describe.skipIf(skip !== null)('real-IPVS launcher', () => {
  it('runs a job with IPVS and returns output, status and files', async () => {
    const r = await runJob(
      [
        'set -e',
        'ipvsadm -A -t 192.0.2.10:80 -s rr',
        'ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 3',
        'ipvsadm -Sn',
        'ipvsadm -Sn > "$VM_SHARE/table.txt"',
        'echo to-stderr >&2',
        'exit 3',
      ].join('\n'),
      { timeoutS: 120 },
    );
    if (r.rc !== 3) console.error(r.stderr, r.console);
    expect(r.rc).toBe(3);
    expect(r.stdout).toContain('-A -t 192.0.2.10:80 -s rr');
    expect(r.files['table.txt']).toContain('-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 3');
    expect(r.stderr).toContain('to-stderr');
    console.log(`real IPVS job ran on the ${r.where} in ${r.durationMs.toFixed(0)} ms`);
  });
});
