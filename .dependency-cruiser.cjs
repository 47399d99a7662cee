// The layers of src/ (docs/architecture.md), checked by dependency-cruiser:
// `npm run lint:layers`, and test/unit/layers.test.ts so that `npm test` runs it too.
//
//   entry points   cli/, vrrp/worker.ts (the worker thread's own entry), and the programs
//                  of their own that assemble what they use: lab/ (`vrrpd lab`), pkg/ (build)
//   assembly       daemon.ts, daemon/ (the one place that builds the daemon)
//   engines        vrrp/, lvs/, check/, control/, snmp/ (their runtime parts)
//   pure cores     config/, the codec, state machine and reconciler parts of vrrp/, lvs/, check/
//   codecs         net/, netlink/ (pure encoders and decoders, the bottom layer)
//   edge           effects/, native/ (the OS), built by the assembly and entry points and
//                  handed in; engines may name their types only
//   shared leaves  log.ts, clock.ts, errors.ts, version.ts, start-marks.ts at src/ (used by every layer,
//                  import nothing of src)
// Arrows point down; no cycles.

const ENTRY = '^src/cli/|^src/vrrp/worker[.]ts$|^src/(lab|pkg)/';
const ASSEMBLY = '^src/daemon([.]ts$|/)';
const EDGE = '^src/(effects|native)/';
const CODECS = '^src/(net|netlink)/';
const LEAVES = '^src/(log|clock|errors|version|start-marks)[.]ts$';
const CORES = [
  '^src/config/',
  '^src/vrrp/(codec|fsm|fsm-types|timers|announce-schedule|sync-group-state|drop-reason|accept|auth-hmac)[.]ts$',
  '^src/lvs/(model|reconcile|desired|apply|ownership|errors)[.]ts$',
  '^src/check/(hysteresis|http-response)[.]ts$',
].join('|');
const ENGINE_FOLDERS = '^src/(vrrp|lvs|check|control|snmp)/';
/** a dependency on types alone (`import type`, `import('x').T`): erased at build time */
const TYPE_ONLY = ['type-only', 'type-import'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module cycle: one of the two sits in the wrong layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'entry-points-are-not-imported',
      severity: 'error',
      comment: 'cli/, the worker entry, lab/ and pkg/ are the top: nothing below imports them.',
      from: { pathNot: ENTRY },
      to: { path: ENTRY },
    },
    {
      name: 'assembly-only-under-entry-points',
      severity: 'error',
      comment: 'Only cli/ uses the assembly (daemon.ts, daemon/); engines are handed what they need.',
      from: { pathNot: `${ENTRY}|${ASSEMBLY}` },
      to: { path: ASSEMBLY },
    },
    {
      name: 'cores-are-pure',
      severity: 'error',
      comment: 'Pure cores (config, codecs, fsm, reconcile) import no engine, assembly or OS code, not even its types.',
      from: { path: CORES },
      to: { path: `${ENTRY}|${ASSEMBLY}|${EDGE}|${ENGINE_FOLDERS}`, pathNot: CORES },
    },
    {
      name: 'codecs-at-the-bottom',
      severity: 'error',
      comment: 'net/ and netlink/ are the bottom layer: they import only each other and the shared leaves.',
      from: { path: CODECS },
      to: { path: '^src/', pathNot: `${CODECS}|${LEAVES}` },
    },
    {
      name: 'edge-values-from-the-assembly-only',
      severity: 'error',
      comment:
        'effects/ and native/ touch the OS: the assembly and entry points build them and hand them in. Engines may import their types (import type).',
      from: { pathNot: `${ENTRY}|${ASSEMBLY}|${EDGE}` },
      to: { path: EDGE, dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: 'edge-stays-at-the-edge',
      severity: 'error',
      comment: 'effects/ and native/ may use cores, codecs and leaves, never an engine, the assembly or cli/.',
      from: { path: EDGE },
      to: { path: `${ENTRY}|${ASSEMBLY}|${ENGINE_FOLDERS}`, pathNot: CORES },
    },
    {
      name: 'check-and-control-under-the-other-engines',
      severity: 'error',
      comment:
        'check/ and control/ serve the VRRP and LVS engines; they import neither (their pure cores, such as the drop-reason vocabulary, they may).',
      from: { path: '^src/(check|control)/' },
      to: { path: '^src/(vrrp|lvs|lab|snmp)/', pathNot: CORES },
    },
    {
      name: 'leaves-import-nothing-of-src',
      severity: 'error',
      comment: 'log.ts, clock.ts, errors.ts, version.ts, start-marks.ts are used by every layer, so they use none.',
      from: { path: LEAVES },
      to: { path: '^src/', pathNot: LEAVES },
    },
    {
      name: 'no-other-module-at-src-root',
      severity: 'error',
      comment: 'Every module lives in a folder that names its part; src/ holds daemon.ts and the shared leaves only.',
      from: {},
      to: { path: '^src/[^/]+$', pathNot: `^src/daemon[.]ts$|${LEAVES}` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node:' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
