// Layer rules for lbx (../shared/DESIGN.md, "Layers"): imports point one way, commands → runtime → core.
// Checked in CI by `npm run lint` (dependency-cruiser reads the TypeScript sources, type-only imports included).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core imports no other layer: policies, rings and statistics take clocks, randomness and I/O as parameters.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(runtime|cli|commands|bin)/' },
    },
    {
      name: 'core-no-node-builtins',
      comment: 'src/core uses no Node built-in (fs, net, child_process, timers, process …); pure libraries are fine.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'runtime-never-imports-the-cli',
      comment: 'src/runtime emits events and returns results; it never prints, and never imports src/cli or src/commands (or oclif).',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: ['^src/(cli|commands|bin)/', '^node_modules/@oclif/'] },
    },
    {
      name: 'commands-are-leaves',
      comment: "oclif turns every file in src/commands into a command: nothing imports one (types aside, via src/bin's explicit map).",
      severity: 'error',
      from: { path: '^src/(core|runtime|cli)/' },
      to: { path: '^src/commands/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only ones included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/runtime/wire/gen/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
  },
};
