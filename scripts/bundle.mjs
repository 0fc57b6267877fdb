#!/usr/bin/env node
// Part of `npm run build`: esbuild bundles into build/, as CommonJS (Node 20 has a code cache only for classic scripts):
//   lbx-cli.cjs        the command line (dist/bin/cli-main.js), which bin/lbx.js runs when it is fresh: a command
//                      started from some 200 ES modules in 0.61 CPU-s, from this bundle and its code cache in 0.30
//   backend-role.cjs   a supervised backend process's entry (dist/cli/roles/backend-entry.js)
//   backend-worker.cjs a dense cluster's backend worker thread (dist/cli/roles/backend-worker.js)
//   run-bundle.cjs     the runner that loads the role bundles with their V8 code cache (runtime/process/code-cached-bundle.ts)
// Minified, with names kept for stack traces. A worker thread loads its code afresh: 150 ES modules cost each of 256
// workers about 320 ms of CPU here, one bundled ES module about 180 ms. A backend process from its ES module bundle
// took 0.46-0.50 CPU-s to ready at 57 MB RSS, from its modules 0.60-0.72 CPU-s at 62.5 MB; loading the bundle (node's
// own start included) takes 0.21 CPU-s as an ES module, 0.15 as CommonJS from its code cache. Without esbuild (an
// installed package) it does nothing, and everything loads its modules.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist/cli/roles/backend-worker.js');
const backendEntry = path.join(root, 'dist/cli/roles/backend-entry.js');
const runBundleEntry = path.join(root, 'dist/cli/roles/run-bundle.js');
const cliEntry = path.join(root, 'dist/bin/cli-main.js');

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  process.exit(0);
}
if (![entry, backendEntry, runBundleEntry, cliEntry].every((file) => existsSync(file))) process.exit(0);
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // The ES modules inside find their files from import.meta.url: in a CommonJS bundle, the bundle's own URL.
  define: { 'import.meta.url': 'lbxBundleUrl' },
  banner: { js: "const lbxBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // oclif's parser can reach a lazy require of TypeScript (for ts-node paths) that a role never takes: left out.
  external: ['typescript'],
  // A bundle runs in a vm.Script (code-cached-bundle.ts), which has no loader for import(): every dynamic import of a
  // built-in or an external package becomes require().
  supported: { 'dynamic-import': false },
};

/**
 * A backend serves and calls without grpc-js (src/runtime/grpc/lean), but the generated service modules it takes its
 * codecs from also make grpc-js client classes at load: `export const XClient = makeGenericClientConstructor(...)`.
 * Marked pure, the unused ones go, and with them grpc-js, @grpc/proto-loader and protobufjs (913 against 470 KB of
 * bundle); grpc-js declares no "sideEffects", so it is declared free of them here (what the backend does use of it
 * would still be bundled). Measured: an idle backend from 56 to 48 MB RSS (issue 16).
 */
const backendWithoutGrpcJs = {
  name: 'backend-without-grpc-js',
  setup(builder) {
    builder.onResolve({ filter: /^@grpc\/grpc-js$/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined;
      const resolved = await builder.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
      return { path: resolved.path, sideEffects: false };
    });
    builder.onLoad({ filter: /[\\/]wire[\\/]gen[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replaceAll('= makeGenericClientConstructor(', '= /* @__PURE__ */ makeGenericClientConstructor('), loader: 'js' };
    });
  },
};
/**
 * Requires a backend never takes in practice, made to run on first use in the role bundles: each `const x = require(…)`
 * below becomes an object that loads the module when one of its members is first read. oclif's flags and parser load
 * its help and terminal UI at once (ejs, spinners, string-width and emoji tables, readline), and its errors, cache,
 * debug logger and fs helpers, which only a bad flag, `--help` or a file flag reach, and no supervised role takes
 * those paths; the registry client's consul and papi load node:https (and so tls and crypto) for https: registries,
 * and lbx's are http:. Measured on an idle backend: 1.9 MB RSS for help, readline and https; 1.3 MB more for the rest
 * (issue 16). Each rewrite must match its source exactly; one that no longer does (another version) is reported and
 * left eager, which costs memory, not function.
 */
const LAZY_REQUIRES = [
  ['@oclif/core/lib/flags.js', 'const errors_1 = require("./errors");'],
  ['@oclif/core/lib/flags.js', 'const help_1 = require("./help");'],
  ['@oclif/core/lib/flags.js', 'const fs_1 = require("./util/fs");'],
  ['@oclif/core/lib/parser/parse.js', 'const node_os_1 = require("node:os");'],
  ['@oclif/core/lib/parser/parse.js', 'const node_readline_1 = require("node:readline");'],
  ['@oclif/core/lib/parser/parse.js', 'const cache_1 = __importDefault(require("../cache"));'],
  ['@oclif/core/lib/parser/parse.js', 'const logger_1 = require("../logger");'],
  ['@oclif/core/lib/parser/parse.js', 'const errors_1 = require("./errors");'],
  ['@oclif/core/lib/parser/validate.js', 'const errors_1 = require("./errors");'],
  ['papi/lib/client.js', "const https = require('https');"],
  ['consul/lib/utils.js', 'const https = require("https");'],
];
/** parser/index.js re-exports a member of its help module through a getter of its own: that require moves into the getter. */
const LAZY_REEXPORTS = [
  [
    '@oclif/core/lib/parser/index.js',
    'var help_1 = require("./help");\nObject.defineProperty(exports, "flagUsages", { enumerable: true, get: function () { return help_1.flagUsages; } });',
    'Object.defineProperty(exports, "flagUsages", { enumerable: true, get: function () { return require("./help").flagUsages; } });',
  ],
];
// Defined once in each rewritten file. A Proxy, so `new errors_1.CLIError(…)` and `(0, logger_1.makeDebug)(…)` load
// the module exactly when the code reaches them; esbuild still sees the require and bundles its module.
const LAZY_MODULE = 'const lbxLazyModule = (load) => { let loaded; return new Proxy({}, { get: (_target, key) => (loaded ??= load())[key] }); };\n';
/** `const x = <load>;` as `const x = lbxLazyModule(() => <load>);`. */
function lazyStatement(statement) {
  const match = /^(const \w+ = )(.*);$/.exec(statement);
  return `${match[1]}lbxLazyModule(() => ${match[2]});`;
}
const lazyRequires = {
  name: 'lazy-requires',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]node_modules[\\/](@oclif[\\/]core|papi|consul)[\\/]lib[\\/].*\.js$/ }, async (args) => {
      const file = args.path.split(path.sep).join('/');
      const rewrites = [
        ...LAZY_REQUIRES.filter(([suffix]) => file.endsWith(suffix)).map(([suffix, statement]) => [suffix, statement, lazyStatement(statement)]),
        ...LAZY_REEXPORTS.filter(([suffix]) => file.endsWith(suffix)),
      ];
      if (rewrites.length === 0) return undefined;
      let source = await readFile(args.path, 'utf8');
      for (const [suffix, from, to] of rewrites) {
        if (source.includes(from)) source = source.replace(from, to);
        else console.warn(`bundle: ${suffix} no longer reads as expected; its require stays eager (a larger backend, nothing else)`);
      }
      return { contents: source.includes('lbxLazyModule(') ? LAZY_MODULE + source : source, loader: 'js' };
    });
  },
};
const backendBundle = { ...common, minify: true, keepNames: true, plugins: [backendWithoutGrpcJs, lazyRequires] };
await build({ ...backendBundle, entryPoints: [entry], outfile: path.join(root, 'build/backend-worker.cjs') });
await build({ ...backendBundle, entryPoints: [backendEntry], outfile: path.join(root, 'build/backend-role.cjs') });

/**
 * The command line's modules find files beside their compiled selves (bin/lbx.js, build/, ./send-worker.js) from
 * import.meta.url. In its bundle each dist module's import.meta.url is its own file under dist/, reached from the
 * bundle's directory, so every path resolves as it does from the modules; packages keep the bundle's URL (`common`).
 */
const distModuleUrls = {
  name: 'dist-module-urls',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async (args) => {
      // Only lbx's own dist/, not a package's.
      if (!args.path.startsWith(path.join(root, 'dist') + path.sep)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const fromBundle = path.relative(path.join(root, 'build'), args.path).split(path.sep).join('/');
      const ownUrl = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(fromBundle)})).href`;
      return { contents: source.replaceAll('import.meta.url', `(${ownUrl})`), loader: 'js' };
    });
  },
};
// The whole command line, for bin/lbx.js (src/bin/cli-main.ts): every command starts from it in about half the CPU.
// @grpc/grpc-js-xds reads its protos from its package directory, so it is loaded from node_modules as it is, and so is
// @grpc/grpc-js: the xds: resolver it registers must be the one lbx's clients use (their dynamic imports become
// require(), as every bundle's do: see `common`).
await build({
  ...common,
  entryPoints: [cliEntry],
  outfile: path.join(root, 'build/lbx-cli.cjs'),
  minify: true,
  keepNames: true,
  external: [...common.external, '@grpc/grpc-js-xds', '@grpc/grpc-js'],
  plugins: [distModuleUrls],
});
// The runner as CommonJS too: started as an ES module it costs each backend Node's ES module loader, 0.20 against
// 0.15 CPU-s to load the backend (a process or a worker thread never needs that loader otherwise).
await build({ ...common, entryPoints: [runBundleEntry], outfile: path.join(root, 'build/run-bundle.cjs') });
