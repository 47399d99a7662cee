// `vrrpd lab` orchestration: checks prerequisites (prereq.ts) before creating anything,
// builds the world, runs the chosen scenes, and always cleans up (finally, and on
// SIGINT/SIGTERM). It runs only `ip` and this Node (process.execPath).
import { addon } from '../native/index.js';
import { createNarrator } from './narrator.js';
import { formatProblems, labProblems, probeLabFacts } from './prereq.js';
import { SCENES, type Scene, sceneRunners } from './scenes.js';
import { findMainJs, LabError, LabWorld } from './world.js';

export interface LabOptions {
  /** leave the lab running after the scenes until SIGINT */
  keep: boolean;
  /** scenes to run, in SCENES order; election always runs */
  steps: Scene[];
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Parses `--steps a,b,c`; throws LabError LAB_USAGE on an unknown name. */
export function parseSteps(text: string | undefined): Scene[] {
  if (!text || text === 'all') return [...SCENES];
  const wanted = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of wanted) {
    if (!(SCENES as readonly string[]).includes(s))
      throw new LabError('LAB_USAGE', `unknown scene '${s}' (scenes: ${SCENES.join(', ')})`);
  }
  // the election is the stage every other scene stands on
  return SCENES.filter((s) => s === 'election' || wanted.includes(s));
}

/** Runs the lab; resolves with the exit code (0 ok, 1 usage, 2 runtime failure). */
export async function runLab(opts: LabOptions): Promise<number> {
  // everything the lab needs, checked before it creates anything
  const loadAddon = () => {
    if (typeof addon().writeInNetns !== 'function')
      throw new Error("it is older than this code (no writeInNetns); rebuild it: 'npm run build:native'");
  };
  const problems = labProblems(await probeLabFacts({ loadAddon, findBuild: findMainJs }));
  if (problems.length > 0) {
    opts.err(`vrrpd lab: ${formatProblems(problems)}\n`);
    return 2;
  }
  const n = createNarrator(opts.out);
  const prefix = `vlab${process.pid}-`;
  let world: LabWorld | null = null;
  let interrupted: (() => void) | null = null;
  const interruptedP = new Promise<void>((r) => {
    interrupted = r;
  });
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    n.say(`${sig}: stopping the lab and removing its namespaces.`);
    interrupted?.();
    void (world?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    n.say(
      `Building the lab: namespaces ${prefix}{d1,d2,r1,r2,c} on one bridge (${prefix}br), 192.0.2.0/24 and 2001:db8::/64.`,
    );
    world = await LabWorld.create(n, prefix);
    n.say(
      `d1 ${world.host('d1').ipv4} and d2 ${world.host('d2').ipv4} are the directors, r1 ${world.host('r1').ipv4} and r2 ${world.host('r2').ipv4} run HTTP servers, c ${world.host('c').ipv4} is the client.`,
    );
    for (const scene of opts.steps) {
      if (stopping) break;
      await sceneRunners[scene](world);
    }
    if (opts.keep && !stopping) {
      n.say(`The lab keeps running. Files in ${world.dir}; e.g.:`);
      n.block(
        [
          `ip netns exec ${world.host('d1').ns} ${process.execPath} ${process.argv[1] ?? 'vrrpd'} status -s ${world.directors.d1.socket}`,
          `ip netns exec ${world.host('c').ns} ip neigh`,
          `tail -f ${world.directors.d1.logFile}`,
        ].join('\n'),
      );
      n.say('Press Ctrl-C to stop it and remove everything.');
      await interruptedP;
    }
    if (!stopping) n.say('Done. Removing the lab.');
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    opts.err(`vrrpd lab: ${msg}\n`);
    return e instanceof LabError && e.code === 'LAB_USAGE' ? 1 : 2;
  } finally {
    if (world && !stopping) await world.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
