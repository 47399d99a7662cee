// track_files / track_processes in the configuration: the model, and bad values refused
// with file:line:col; and import-keepalived carrying vrrp_track_file / vrrp_track_process
// and the instances' and sync groups' track_file / track_process blocks over.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import { yaml } from './engine-fakes.js';

const INSTANCE = (extra: string[]) => [
  'vrrp_instances:',
  '  - name: VI_1',
  '    interface: eth0',
  '    vrid: 51',
  '    priority: 100',
  '    virtual_ips: [192.0.2.50/24]',
  ...extra.map((l) => `    ${l}`),
];

describe('config: track_files and track_processes', () => {
  it('builds the model with keepalived defaults (weight 1 for files, quorum 1, no quorum_max)', () => {
    const r = parseConfigText(
      yaml(
        'track_files:',
        '  drain: {file: /run/vrrpd/drain, init_file: {value: 0}}',
        'track_processes:',
        '  hp: {process: /usr/sbin/haproxy, args: [-f, /etc/haproxy.cfg], terminate_delay: 500ms}',
        '  sshd: {process: sshd, weight: -10, reverse: true}',
        ...INSTANCE(['track_files: [drain]', 'track_processes: [hp, {name: sshd, weight: 5}]']),
      ),
      'x.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.config.trackFiles).toEqual({
      drain: {
        name: 'drain',
        path: '/run/vrrpd/drain',
        weight: 1,
        reverse: false,
        init: { value: 0, overwrite: false },
      },
    });
    expect(r.config.trackProcesses?.hp).toMatchObject({
      process: '/usr/sbin/haproxy',
      args: ['-f', '/etc/haproxy.cfg'],
      paramMatch: 'exact',
      fullCommand: true,
      quorum: 1,
      quorumMax: Number.POSITIVE_INFINITY,
      weight: 0,
      forkDelayMs: 0,
      terminateDelayMs: 500,
    });
    expect(r.config.trackProcesses?.sshd).toMatchObject({
      fullCommand: false,
      paramMatch: 'none',
      reverse: true,
    });
    expect(r.config.vrrpInstances[0]!.trackFiles).toEqual([{ name: 'drain' }]);
    expect(r.config.vrrpInstances[0]!.trackProcesses).toEqual([{ name: 'hp' }, { name: 'sshd', weight: 5 }]);
    expect(r.config.processEventsNetns).toBe('/proc/1/ns/net');
  });

  it('refuses bad values with file:line:col', () => {
    const r = parseConfigText(
      yaml(
        'track_files:',
        '  rel: {file: run/drain}',
        'track_processes:',
        '  long: {process: a-very-long-process-name}',
        '  q: {process: x, quorum: 3, quorum_max: 2}',
        ...INSTANCE(['track_files: [drian]', 'track_processes: [q, q]']),
      ),
      'x.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const got = r.errors.map((e) => `${e.line}:${e.col} ${e.message}`);
    expect(got).toEqual([
      expect.stringMatching(/^2:15 track_files.rel.file: 'run\/drain' does not match/),
      expect.stringMatching(/^4:19 'a-very-long-process-name' cannot be a process name/),
      expect.stringMatching(/^5:\d+ quorum_max 2 is below quorum 3/),
      expect.stringMatching(/^12:\d+ unknown track_file 'drian'/),
      expect.stringMatching(/^13:\d+ track_process q is tracked twice/),
    ]);
  });
});

describe('import-keepalived: trackers', () => {
  const KA = `
vrrp_track_file drain {
  file /etc/keepalived/drain
  weight -2 reverse
  init_file 0 overwrite
}
vrrp_track_process hp {
  process /usr/sbin/haproxy -f /etc/haproxy.cfg
  param_match initial
  quorum 2
  quorum_max 4
  weight -30
  delay 1.5
  full_command
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  virtual_ipaddress {
    192.0.2.50/24
  }
  track_file {
    drain weight 3 noreverse
    nosuch
  }
  track_process {
    hp
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 150
  virtual_ipaddress {
    192.0.2.51/24
  }
}
vrrp_sync_group G {
  group {
    VI_2
  }
  track_process {
    hp weight -5
  }
}
`;

  it('carries every option over and flags what keepalived ignores too', () => {
    const r = importKeepalivedConf(KA);
    const cfg = parseConfigText(r.yaml, 'imported.yaml');
    if (!cfg.ok) throw new Error(`${r.yaml}\n${JSON.stringify(cfg.errors)}`);
    const c = cfg.config;
    expect(c.trackFiles?.drain).toEqual({
      name: 'drain',
      path: '/etc/keepalived/drain',
      weight: -2,
      reverse: true,
      init: { value: 0, overwrite: true },
    });
    expect(c.trackProcesses?.hp).toMatchObject({
      process: '/usr/sbin/haproxy',
      args: ['-f', '/etc/haproxy.cfg'],
      paramMatch: 'initial',
      fullCommand: true,
      quorum: 2,
      quorumMax: 4,
      weight: -30,
      forkDelayMs: 1500,
      terminateDelayMs: 1500,
    });
    const [vi1, vi2] = c.vrrpInstances;
    expect(vi1!.trackFiles).toEqual([{ name: 'drain', weight: 3, reverse: false }]);
    expect(vi1!.trackProcesses).toEqual([{ name: 'hp' }]);
    // the sync group's track_process is written into its member, with the group's weight
    expect(vi2!.trackProcesses).toEqual([{ name: 'hp', weight: -5 }]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/:25: not carried over: 'nosuch' because there is no track_file nosuch/),
    ]);
    expect(r.yaml).not.toMatch(/no file tracking|no process tracking/);
  });

  it('a sync group member without sync_group_tracking_weight: default weight → 0, another weight left out', () => {
    const r = importKeepalivedConf(`
track_file a {
  file /run/a
}
track_file b {
  file /run/b
  weight 5
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.50/24
  }
  track_file {
    a
    b
  }
}
vrrp_sync_group G {
  group {
    VI_1
  }
}
`);
    const cfg = parseConfigText(r.yaml, 'imported.yaml');
    if (!cfg.ok) throw new Error(r.yaml);
    expect(cfg.config.vrrpInstances[0]!.trackFiles).toEqual([{ name: 'a', weight: 0 }]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/:17: not carried over: .*track_file b with weight 5 on a sync group member/),
    ]);
  });
});

describe('import-keepalived: quorum_max 0', () => {
  it('is carried over: up only while no such process runs (quorum 0 in the model)', () => {
    const r = importKeepalivedConf(`vrrp_track_process rogue {
  process rogued
  quorum_max 0
  weight 0
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.50/24
  }
  track_process {
    rogue
  }
}
`);
    expect(r.warnings).toEqual([]);
    const cfg = parseConfigText(r.yaml, 'imported.yaml');
    if (!cfg.ok) throw new Error(r.yaml);
    expect(cfg.config.trackProcesses?.rogue).toMatchObject({ quorum: 0, quorumMax: 0 });
  });
});

describe('import-keepalived: keepalived looks trackers up as it reads', () => {
  it('a track_file or vrrp_track_process defined after the instance is not tracked (flagged)', () => {
    const r = importKeepalivedConf(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.50/24
  }
  track_file {
    late
  }
  track_process {
    lateproc
  }
}
track_file late {
  file /run/late
}
vrrp_track_process lateproc {
  process sshd
}
`);
    const cfg = parseConfigText(r.yaml, 'imported.yaml');
    if (!cfg.ok) throw new Error(r.yaml);
    expect(cfg.config.vrrpInstances[0]!.trackFiles).toBeUndefined();
    expect(cfg.config.vrrpInstances[0]!.trackProcesses).toBeUndefined();
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /:8: not carried over: 'late' because track_file late is defined after this block/,
      ),
      expect.stringMatching(
        /:11: not carried over: 'lateproc' because vrrp_track_process lateproc is defined after/,
      ),
    ]);
  });
});

describe('import-keepalived: the address owner (priority 255)', () => {
  it('a track_file of the default weight becomes weight 0; a weighted one is left out', () => {
    const r = importKeepalivedConf(`track_file a {
  file /run/a
}
track_file b {
  file /run/b
  weight -5
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 255
  virtual_ipaddress {
    192.0.2.50/24
  }
  track_file {
    a
    b
  }
}
`);
    const cfg = parseConfigText(r.yaml, 'imported.yaml');
    if (!cfg.ok) throw new Error(r.yaml);
    expect(cfg.config.vrrpInstances[0]!.trackFiles).toEqual([{ name: 'a', weight: 0 }]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/:17: not carried over: .*track_file b with weight -5 on the address owner/),
    ]);
  });
});
