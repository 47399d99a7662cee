// The VRRP knobs through two engines back to back (fake segment, fake clock): the master
// that loses sends one more advert (higher_prio_send_advert), and the winner, hearing it,
// re-announces the VIPs of its instance and of the other members of its sync group
// (keepalived sends garp_lower_prio_repeat for every member that has it).
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, FakeSegment, instanceYaml, loadConfig, Node, yaml } from './engine-fakes.js';

const started: Node[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) await n.engine.stop().catch(() => {});
});

const GARP = 'garp: { repeat: 1, delay: 0s, lower_prio_repeat: 2, lower_prio_delay: 0s }';

describe('higher_prio_send_advert and a sync group re-announcing on a lower advert', () => {
  it('B (lower, higher_prio_send_advert) steps down with one advert; A re-announces VI_1 and VI_2', async () => {
    const clock = new FakeClock();
    const seg = new FakeSegment(clock);
    const b = new Node(
      'B',
      clock,
      loadConfig(
        yaml(
          'vrrp_instances:',
          ...instanceYaml({ priority: 100, extra: ['higher_prio_send_advert: true', GARP] }),
        ),
      ),
      { segments: { 4: seg }, primary4: '192.0.2.2' },
    );
    await b.engine.start();
    started.push(b);
    await clock.advance(5000);
    expect(await b.state('VI_1')).toBe('master');

    const a = new Node(
      'A',
      clock,
      loadConfig(
        yaml(
          'vrrp_instances:',
          ...instanceYaml({ priority: 150, extra: [GARP] }),
          ...instanceYaml({ name: 'VI_2', vrid: 52, priority: 150, vips: ['192.0.2.60/24'], extra: [GARP] }),
          'vrrp_sync_groups:',
          '  - { name: G, instances: [VI_1, VI_2] }',
        ),
      ),
      { segments: { 4: seg }, primary4: '192.0.2.1' },
    );
    await a.engine.start();
    started.push(a);
    const sentByB = () => b.transport().decodedSent().length;
    let before = 0;
    for (let t = 0; t < 10_000 && (await a.state('VI_1')) !== 'master'; t += 10) {
      before = sentByB();
      await clock.advance(10);
    }
    expect(await a.state('VI_1')).toBe('master');
    await clock.advance(100);
    expect(await b.state('VI_1')).toBe('backup');
    // B's last adverts: its own priority after A's first one (not priority 0)
    const fromB = b.transport().decodedSent().slice(before);
    expect(fromB.map((d) => d.priority)).toContain(100);
    expect(fromB.map((d) => d.priority)).not.toContain(0);
    await clock.advance(1000);
    // A: 1 GARP per VIP at its takeover, then 2 per VIP on hearing B's lower advert, for
    // VI_1 (its own lower_prio_repeat) and VI_2 (its sync group member's)
    const count = (vip: string) => a.frames.arps().filter((x) => x.address === vip).length;
    expect(count('192.0.2.50')).toBe(1 + 2);
    expect(count('192.0.2.60')).toBe(1 + 2);
  });
});
