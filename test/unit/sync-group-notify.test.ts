// Sync-group notify hooks: the group's state derived from its members (pure), one group
// transition per change of that state (never one per member), and the NotifyRunner running
// the group's hooks with keepalived's GROUP NAME STATE on the catch-all.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import type { ScriptRunner } from '../../src/effects/types.js';
import { NotifyRunner } from '../../src/vrrp/notify.js';
import { deriveGroupState, SyncGroupStates } from '../../src/vrrp/sync-group-state.js';

describe('deriveGroupState', () => {
  it.each([
    [['master', 'master'], 'master'],
    [['backup', 'backup'], 'backup'],
    [['fault', 'master'], 'fault'],
    [['backup', 'fault'], 'fault'],
    [['init', 'fault'], 'fault'],
    [[undefined, 'fault'], 'fault'],
    [['master', 'backup'], null],
    [['master', 'init'], null],
    [['backup', undefined], null],
    [['init', 'init'], null],
    [['master'], 'master'],
    [[], null],
  ] as const)('%j → %s', (members, want) => {
    expect(deriveGroupState(members)).toBe(want);
  });
});

const G = [{ name: 'G1', instances: ['VI_A', 'VI_B'] }];

/** Feeds member changes in order; returns the group transitions as 'G:from>to'. */
function feed(s: SyncGroupStates, changes: [string, string][]): string[] {
  return changes.flatMap(([i, st]) => s.memberChanged(i, st).map((t) => `${t.group}:${t.from}>${t.to}`));
}

describe('SyncGroupStates', () => {
  it('start → BACKUP once both are backup, failover → MASTER once both are master', () => {
    const s = new SyncGroupStates(G);
    expect(
      feed(s, [
        ['VI_A', 'backup'],
        ['VI_B', 'backup'],
        ['VI_A', 'master'], // the engine forces VI_B right after
        ['VI_B', 'master'],
      ]),
    ).toEqual(['G1:null>backup', 'G1:backup>master']);
    expect(s.state('G1')).toBe('master');
  });

  it('one member in FAULT moves the group at once; the forced member adds nothing; recovery', () => {
    const s = new SyncGroupStates(G);
    feed(s, [
      ['VI_A', 'master'],
      ['VI_B', 'master'],
    ]);
    expect(
      feed(s, [
        ['VI_A', 'fault'],
        ['VI_B', 'fault'],
        ['VI_A', 'backup'], // VI_B still in fault: the group stays FAULT
        ['VI_B', 'backup'],
        ['VI_A', 'master'],
        ['VI_B', 'master'],
      ]),
    ).toEqual(['G1:master>fault', 'G1:fault>backup', 'G1:backup>master']);
  });

  it('members going to INIT (reload restart, shutdown) leave the group state as it was', () => {
    const s = new SyncGroupStates(G);
    feed(s, [
      ['VI_A', 'master'],
      ['VI_B', 'master'],
    ]);
    expect(
      feed(s, [
        ['VI_A', 'init'],
        ['VI_B', 'init'],
      ]),
    ).toEqual([]);
    expect(s.known()).toEqual([['G1', 'master']]);
    // the same state again after a restart of the members is no transition
    expect(
      feed(s, [
        ['VI_A', 'master'],
        ['VI_B', 'master'],
      ]),
    ).toEqual([]);
  });

  it('instances outside every group and other groups are not touched', () => {
    const s = new SyncGroupStates([...G, { name: 'G2', instances: ['VI_C'] }]);
    expect(
      feed(s, [
        ['VI_X', 'master'],
        ['VI_C', 'backup'],
      ]),
    ).toEqual(['G2:null>backup']);
    expect(s.state('G1')).toBeNull();
  });

  it('reload: a new or changed group takes its members state silently; a removed one is forgotten', () => {
    const s = new SyncGroupStates(G);
    feed(s, [
      ['VI_A', 'master'],
      ['VI_B', 'master'],
      ['VI_C', 'backup'],
    ]);
    s.setGroups([
      { name: 'G1', instances: ['VI_A', 'VI_B'] },
      { name: 'G2', instances: ['VI_C'] },
    ]);
    expect(s.known()).toEqual([
      ['G1', 'master'],
      ['G2', 'backup'],
    ]);
    s.setGroups([{ name: 'G2', instances: ['VI_C', 'VI_A'] }]);
    expect(s.known()).toEqual([]); // G1 gone; G2 now mixed: undecided
    expect(feed(s, [['VI_C', 'master']])).toEqual(['G2:null>master']);
  });
});

const yaml = `
global: {control_socket: /tmp/x.sock, notify_timeout: 3s, script_user: nobody}
vrrp_instances:
  - {name: VI_A, interface: eth0, vrid: 51, priority: 150, virtual_ips: [192.0.2.50/24],
     notify: {master: [/bin/true, inst-master]}}
  - {name: VI_B, interface: eth0, vrid: 52, priority: 150, virtual_ips: [192.0.2.51/24]}
  - {name: G1, interface: eth0, vrid: 53, priority: 100, virtual_ips: [192.0.2.52/24],
     notify: {any: [/bin/true, inst-any]}}
vrrp_sync_groups:
  - name: G1
    instances: [VI_A, VI_B]
    notify:
      master: [/bin/true, g-master]
      backup: [/bin/true, g-backup]
      fault: [/bin/true, g-fault]
      stop: [/bin/true, g-stop]
      any: [/bin/true, g-any]
`;

function setup(run?: ScriptRunner['run']) {
  const loaded = parseConfigText(yaml, 'test.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const calls: { argv: readonly string[]; opts: Parameters<ScriptRunner['run']>[1] }[] = [];
  const runner: ScriptRunner = {
    run: async (argv, opts) => {
      calls.push({ argv, opts });
      if (run) return run(argv, opts);
      return { code: 0, signal: null, timedOut: false, output: '', durationMs: 1 };
    },
  };
  const logs: { o: Record<string, unknown>; m: string }[] = [];
  const log = {
    info: (o: Record<string, unknown>, m: string) => logs.push({ o, m }),
    warn: (o: Record<string, unknown>, m: string) => logs.push({ o, m }),
  };
  return { n: new NotifyRunner(loaded.config, log as never, runner), calls, logs };
}

const groupArgv = (calls: { argv: readonly string[] }[]) =>
  calls.map((c) => c.argv).filter((a) => a[1]?.startsWith('g-'));

describe('NotifyRunner: sync group hooks', () => {
  it('runs the state hook then the catch-all with GROUP NAME STATE, once per group transition', async () => {
    const { n, calls } = setup();
    for (const [i, s] of [
      ['VI_A', 'backup'],
      ['VI_B', 'backup'],
      ['VI_A', 'master'],
      ['VI_B', 'master'],
    ] as const)
      n.stateChanged(i, s);
    await n.drain(1000);
    expect(groupArgv(calls)).toEqual([
      ['/bin/true', 'g-backup'],
      ['/bin/true', 'g-any', 'GROUP', 'G1', 'BACKUP'],
      ['/bin/true', 'g-master'],
      ['/bin/true', 'g-any', 'GROUP', 'G1', 'MASTER'],
    ]);
    // the member's own hook still runs, per member
    expect(calls.filter((c) => c.argv[1] === 'inst-master')).toHaveLength(1);
    const gm = calls.find((c) => c.argv[1] === 'g-master');
    expect(gm?.opts).toMatchObject({
      timeoutMs: 3000,
      user: 'nobody',
      env: { VRRPD_GROUP: 'G1', VRRPD_STATE: 'master' },
    });
    expect(gm?.opts.env).not.toHaveProperty('VRRPD_INSTANCE');
  });

  it('FAULT runs the fault hook once though every member follows into fault', async () => {
    const { n, calls } = setup();
    n.stateChanged('VI_A', 'master');
    n.stateChanged('VI_B', 'master');
    n.stateChanged('VI_A', 'fault');
    n.stateChanged('VI_B', 'fault');
    await n.drain(1000);
    expect(groupArgv(calls).filter((a) => a[1] === 'g-fault')).toEqual([['/bin/true', 'g-fault']]);
    expect(groupArgv(calls).filter((a) => a.includes('FAULT'))).toEqual([
      ['/bin/true', 'g-any', 'GROUP', 'G1', 'FAULT'],
    ]);
  });

  it('shutdown: members report init, then stop runs the group stop hook once', async () => {
    const { n, calls } = setup();
    n.stateChanged('VI_A', 'master');
    n.stateChanged('VI_B', 'master');
    n.stateChanged('VI_A', 'init');
    n.stateChanged('VI_B', 'init');
    n.stateChanged('VI_A', 'stop');
    n.stateChanged('VI_B', 'stop');
    n.groupsStopped();
    await n.drain(1000);
    expect(groupArgv(calls).slice(-2)).toEqual([
      ['/bin/true', 'g-stop'],
      ['/bin/true', 'g-any', 'GROUP', 'G1', 'STOP'],
    ]);
  });

  it('a group that never reached a state gets no stop hook', async () => {
    const { n, calls } = setup();
    n.stateChanged('VI_A', 'master');
    n.groupsStopped();
    await n.drain(1000);
    expect(groupArgv(calls)).toEqual([]);
  });

  it('a group and an instance with the same name keep their own hooks and log fields', async () => {
    const { n, calls, logs } = setup();
    n.stateChanged('G1', 'backup'); // the instance named G1
    n.stateChanged('VI_A', 'backup');
    n.stateChanged('VI_B', 'backup');
    await n.drain(1000);
    expect(calls.map((c) => c.argv)).toEqual([
      ['/bin/true', 'inst-any', 'INSTANCE', 'G1', 'BACKUP', '100'],
      ['/bin/true', 'g-backup'],
      ['/bin/true', 'g-any', 'GROUP', 'G1', 'BACKUP'],
    ]);
    expect(logs.map((l) => l.m)).toContain('notify backup for group G1 done');
    expect(logs.find((l) => l.m === 'notify backup for group G1 done')?.o).toMatchObject({
      event: 'notify',
      group: 'G1',
      hook: 'backup',
      code: 0,
    });
  });

  it('a failing or throwing runner is logged and the next hooks still run', async () => {
    let first = true;
    const { n, calls, logs } = setup(async () => {
      if (first) {
        first = false;
        throw new Error('spawn exploded');
      }
      return { code: 1, signal: null, timedOut: true, output: 'slow', durationMs: 3000 };
    });
    n.stateChanged('VI_A', 'backup');
    n.stateChanged('VI_B', 'backup');
    await n.drain(1000);
    expect(groupArgv(calls)).toHaveLength(2);
    expect(logs.map((l) => l.m)).toEqual(['notify failed', 'notify any for group G1 failed']);
    expect(logs[1]?.o).toMatchObject({ group: 'G1', timedOut: true, code: 1 });
  });
});
