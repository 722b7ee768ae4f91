/**
 * The dependency rule of src/ (docs/architecture.md), checked by `npm run lint:deps` and by the test
 * suite (tests/unit/app-layers.test.ts). Layers, bottom to top:
 *   base     pure constants, limits, shared types and errors; imports nothing else from src
 *   api      the typed contract between renderer / preload / main / server; imports base only
 *   engine   pure TypeScript compute, no Electron, no DOM; imports base only
 *   server   jobs, workers, the WebSocket and the IPC handler logic; imports engine, api, base
 *   cli      the dlnet command; imports engine, server (for `dlnet serve`), api, base
 *   main     Electron main; imports server, engine, api, base
 *   preload  contextBridge; imports api (and electron)
 *   renderer the Svelte UI; imports api, base, svelte and konva — never Node or Electron
 * And no cycles anywhere.
 */
const layer = (name, allowed) => ({
  name: `${name}-imports-only-${allowed.join('-') || 'itself'}`,
  comment: `src/${name} may import only ${[name, ...allowed].map((l) => `src/${l}`).join(', ')} from src`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/(${[name, ...allowed].join('|')})/`] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: give the dependency one direction.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    layer('base', []),
    layer('api', ['base']),
    layer('engine', ['base']),
    layer('server', ['engine', 'api', 'base']),
    layer('cli', ['engine', 'server', 'api', 'base']),
    layer('main', ['server', 'engine', 'api', 'base']),
    layer('preload', ['api', 'base']),
    layer('renderer', ['api', 'base']),
    {
      name: 'parallel-below-restoration',
      comment: 'engine/parallel runs what restoration plans; restore*.ts call it, never the other way round.',
      severity: 'error',
      from: { path: '^src/engine/(parallel|networks|backends)/' },
      to: { path: '^src/engine/restore(-sr|-masked)?\\.ts$' },
    },
    {
      name: 'engine-only-through-its-entry',
      comment: 'Other layers use the engine through src/engine/index.ts (its compute half through loadCompute()).',
      severity: 'error',
      from: { path: '^src/(cli|server|main)/' },
      to: { path: '^src/engine/', pathNot: ['^src/engine/index\\.ts$'] },
    },
    {
      name: 'ui-has-no-node',
      comment: 'The renderer, preload and api run (or may run) in a sandboxed page: no Node built-ins.',
      severity: 'error',
      from: { path: '^src/(renderer|api|base)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-npm-only-ui',
      comment: 'The renderer uses svelte and konva only.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional'], pathNot: ['node_modules/(svelte|konva)/'] },
    },
    {
      name: 'no-electron-below-main',
      comment: 'Only main and preload may load Electron.',
      severity: 'error',
      from: { path: '^src/(engine|server|cli|api|base|renderer)/' },
      to: { path: 'node_modules/electron/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true, pathNot: ['^electron$', '^@tensorflow/tfjs-node', '^onnxruntime-node'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.svelte', '.mjs', '.cjs', '.json'] },
    extraExtensionsToScan: ['.svelte'],
  },
};
