// Engine: track_files (number × weight, -254 and weight 0 → FAULT) and track_processes
// (quorum with weight or FAULT), per-instance overrides, with fake effects and clock.
import { afterEach, describe, expect, it } from 'vitest';
import { fileEffect, processEffect } from '../../src/vrrp/track-weights.js';
import { FakeClock, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.engine.stop().catch(() => {});
});

async function node(text: string) {
  const clock = new FakeClock();
  const n = new Node('A', clock, loadConfig(text), { primary4: '192.0.2.1' });
  nodes.push(n);
  await n.engine.start();
  await clock.advance(10_000);
  return n;
}

describe('keepalived track_file arithmetic', () => {
  it('number × weight, reverse, bounded to -254..253 with -254 = FAULT; weight 0: non-zero = FAULT', () => {
    expect(fileEffect(-60, 1, false)).toEqual({ fault: false, weight: -60 });
    expect(fileEffect(3, -10, false)).toEqual({ fault: false, weight: -30 });
    expect(fileEffect(3, 10, true)).toEqual({ fault: false, weight: -30 });
    expect(fileEffect(1000, 1, false)).toEqual({ fault: false, weight: 253 });
    expect(fileEffect(-254, 1, false)).toEqual({ fault: true, weight: 0 });
    expect(fileEffect(-100, 3, false)).toEqual({ fault: true, weight: 0 });
    expect(fileEffect(0, 0, false)).toEqual({ fault: false, weight: 0 });
    expect(fileEffect(7, 0, false)).toEqual({ fault: true, weight: 0 });
    expect(fileEffect(0, 0, true)).toEqual({ fault: true, weight: 0 });
    expect(fileEffect(7, 0, true)).toEqual({ fault: false, weight: 0 });
  });

  it('process quorum: positive weight with it, negative without, reverse negates; weight 0 faults', () => {
    expect(processEffect(true, 10, false)).toEqual({ fault: false, weight: 10 });
    expect(processEffect(false, 10, false)).toEqual({ fault: false, weight: 0 });
    expect(processEffect(false, -10, false)).toEqual({ fault: false, weight: -10 });
    expect(processEffect(true, 10, true)).toEqual({ fault: false, weight: -10 });
    expect(processEffect(false, -10, true)).toEqual({ fault: false, weight: 10 });
    expect(processEffect(false, 0, false)).toEqual({ fault: true, weight: 0 });
    expect(processEffect(true, 0, true)).toEqual({ fault: true, weight: 0 });
  });
});

describe('engine: tracked files and processes', () => {
  it('a file moves the priority by number × weight; -254 puts the master in FAULT, 0 lifts it', async () => {
    const a = await node(
      yaml(
        'track_files:',
        '  drain: {file: /run/vrrpd-test/drain}',
        '  half: {file: /run/vrrpd-test/half, weight: 2}',
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, extra: ['track_files: [drain, {name: half, weight: -3}]'] }),
      ),
    );
    expect(await a.state('VI_1')).toBe('master');
    a.engine.setTrackerValue('file', 'drain', -20);
    expect((await a.instance('VI_1')).effectivePriority).toBe(130);
    // the instance's weight -3 overrides the file's 2
    a.engine.setTrackerValue('file', 'half', 5);
    expect((await a.instance('VI_1')).effectivePriority).toBe(115);
    a.engine.setTrackerValue('file', 'drain', -254);
    let i = await a.instance('VI_1');
    expect(i.state).toBe('fault');
    expect(i.faultReasons).toEqual(['tracked file drain at -254']);
    a.engine.setTrackerValue('file', 'drain', 0);
    i = await a.instance('VI_1');
    expect(i.state).toBe('backup');
    expect(i.effectivePriority).toBe(135);
  });

  it('weight 0: a non-zero number is FAULT (reverse: zero is)', async () => {
    const a = await node(
      yaml(
        'track_files:',
        '  f: {file: /run/vrrpd-test/f, weight: 0}',
        '  r: {file: /run/vrrpd-test/r, weight: 0, reverse: true}',
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, extra: ['track_files: [f, r]'] }),
      ),
    );
    a.engine.setTrackerValue('file', 'f', 0);
    a.engine.setTrackerValue('file', 'r', 1);
    expect((await a.instance('VI_1')).state).toBe('master');
    a.engine.setTrackerValue('file', 'f', 2);
    expect((await a.instance('VI_1')).faultReasons).toEqual(['tracked file f holds non-zero']);
    a.engine.setTrackerValue('file', 'f', 0);
    a.engine.setTrackerValue('file', 'r', 0);
    expect((await a.instance('VI_1')).faultReasons).toEqual(['tracked file r holds zero (reverse)']);
  });

  it('process quorum: weight -60 applies without it; weight 0 faults without it', async () => {
    const a = await node(
      yaml(
        'track_processes:',
        '  svc: {process: haproxy, weight: -60}',
        '  must: {process: sshd}',
        'vrrp_instances:',
        ...instanceYaml({ priority: 150, extra: ['track_processes: [svc, must]'] }),
      ),
    );
    a.engine.setTrackerValue('process', 'svc', false);
    a.engine.setTrackerValue('process', 'must', true);
    let i = await a.instance('VI_1');
    expect(i.effectivePriority).toBe(90);
    expect(i.state).toBe('master');
    a.engine.setTrackerValue('process', 'svc', true);
    expect((await a.instance('VI_1')).effectivePriority).toBe(150);
    a.engine.setTrackerValue('process', 'must', false);
    i = await a.instance('VI_1');
    expect(i.state).toBe('fault');
    expect(i.faultReasons).toEqual(['tracked process must without quorum']);
  });
});
