// The single executable's explicit command map (src/bin/commands.ts) and the oclif Config it seeds.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import commandNotFound from '../../src/cli/hooks/command-not-found.js';
import { COMMANDS } from '../../src/bin/commands.js';
import { loadExplicitConfig } from '../../src/bin/explicit-config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  oclif: Record<string, unknown>;
  dependencies: Record<string, string>;
};

/** Command ids as oclif derives them from src/commands/**: `serve/lb.ts` is `serve:lb`. */
function commandIdsOnDisk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return commandIdsOnDisk(path.join(dir, entry.name), `${prefix}${entry.name}:`);
    return entry.name.endsWith('.ts') ? [`${prefix}${entry.name.slice(0, -'.ts'.length)}`] : [];
  });
}

const map = suite('explicit command map');

map('has exactly one entry per file in src/commands', () => {
  assert.equal(Object.keys(COMMANDS).sort(), commandIdsOnDisk(path.join(root, 'src/commands')).sort());
});

map('@oclif/core is pinned exactly (explicit-config.ts sets a private field)', () => {
  assert.is(pkg.dependencies['@oclif/core'], '4.14.0');
});

map('the seeded root plugin yields every command from a directory with no package.json', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'lbx-config-'));
  try {
    const config = await loadExplicitConfig(pkg, COMMANDS, empty);
    assert.is(config.version, pkg.version);
    // Aliases count as ids too: status is also `ps`.
    assert.equal([...config.commandIDs].sort(), [...Object.keys(COMMANDS), 'ps'].sort());
    // load() goes through the plugin's command cache; were the field renamed, oclif would import ./commands.js from `empty` and fail.
    const up = await config.findCommand('up', { must: true }).load();
    assert.is(up, COMMANDS['up']);
    const lb = await config.findCommand('serve:lb', { must: true }).load();
    assert.is(lb, COMMANDS['serve:lb']);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

/** Runs `fn` with process.stdout and process.stderr captured. */
async function captureOutput(fn: () => Promise<unknown>): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await fn();
    return out;
  } catch (error) {
    return { ...out, error };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

map('the binary has help, version, the ps alias and the npm description', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'lbx-config-'));
  try {
    const config = await loadExplicitConfig(pkg, COMMANDS, empty);
    assert.is(config.pjson.description, pkg.description, 'the root help starts with the description npm shows');
    assert.is(await config.findCommand('ps', { must: true }).load(), COMMANDS['status']);
    assert.ok(config.findCommand('help') && config.findCommand('version'));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

map("a typo'd command in the binary: exit 2 and the nearest command, from the hook given as a function", async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'lbx-config-'));
  try {
    const config = await loadExplicitConfig(pkg, COMMANDS, empty, { command_not_found: commandNotFound });
    const text = await captureOutput(() => config.runCommand('sned', []));
    assert.is((text.error as { oclif?: { exit?: number } }).oclif?.exit, 2);
    assert.match(text.stderr, /"sned" is not an lbx command\n {2}did you mean: lbx send\?/);
    const json = await captureOutput(() => config.runCommand('stauts', ['--json']));
    const document = JSON.parse(json.stdout) as { error: { code: string; exitCode: number; suggestions: string[] } };
    assert.equal(document.error.code, 'usage');
    assert.equal(document.error.exitCode, 2);
    assert.match(document.error.suggestions[0]!, /lbx status/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

map.run();
