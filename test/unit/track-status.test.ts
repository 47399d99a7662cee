// `vrrpd status` with tracked files and processes: the lines under the instances, and the
// status document built with them (absent when there are none).
import { describe, expect, it } from 'vitest';
import { exampleSnapshot } from '../../src/control/example.js';
import { renderStatus } from '../../src/control/render.js';

const NOW = new Date('2026-12-03T12:00:00Z');

describe('status: tracked files and processes', () => {
  it('prints each file number and each process count and quorum', () => {
    const s = {
      ...exampleSnapshot(),
      trackFiles: [
        { name: 'drain', file: '/etc/vrrpd/drain', value: -254, weight: 1 },
        { name: 'new', file: '/run/new', value: null, weight: 0 },
      ],
      trackProcesses: [
        { name: 'haproxy', processes: 1, quorum: false, pending: true, weight: -50 },
        { name: 'sshd', processes: 2, quorum: true, pending: false, weight: 0 },
      ],
    };
    const out = renderStatus(s, { color: false, now: NOW });
    expect(out).toContain(
      'track files: drain = -254 (/etc/vrrpd/drain, weight 1), new not read (/run/new, weight 0)',
    );
    expect(out).toContain(
      'track processes: haproxy 1 running, no quorum (delay running), sshd 2 running, quorum',
    );
    expect(renderStatus(exampleSnapshot(), { color: false, now: NOW })).not.toContain('track ');
  });
});
