// The single executable's explicit command map (src/bin/commands.ts) and the oclif Config it seeds.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { COMMANDS } from '../../src/bin/commands.js';
import { loadExplicitConfig } from '../../src/bin/explicit-config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
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
    assert.equal([...config.commandIDs].sort(), Object.keys(COMMANDS).sort());
    // load() goes through the plugin's command cache; were the field renamed, oclif would import ./commands.js from `empty` and fail.
    const up = await config.findCommand('up', { must: true }).load();
    assert.is(up, COMMANDS['up']);
    const lb = await config.findCommand('serve:lb', { must: true }).load();
    assert.is(lb, COMMANDS['serve:lb']);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

map.run();
