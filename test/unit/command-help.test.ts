// Every command's help as oclif renders it: placeholders intact, no "x|x", descriptions left for oclif to wrap, and one
// meaning for each short flag.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Help, type Command, type Config } from '@oclif/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { COMMANDS } from '../../src/bin/commands.js';
import { loadExplicitConfig } from '../../src/bin/explicit-config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string; description: string; oclif: Record<string, unknown> };

/** What `lbx <id> --help` prints, captured (oclif writes help to stdout). */
async function renderHelp(config: Config, id: string): Promise<string> {
  const command = config.findCommand(id, { must: true });
  let text = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await new Help(config, { stripAnsi: true }).showCommandHelp(command);
  } finally {
    process.stdout.write = write;
  }
  return text;
}

let config: Config;
const help = suite('command help');
help.before(async () => {
  config = await loadExplicitConfig(pkg, COMMANDS, root);
});

help('every helpValue placeholder appears whole in the usage line and the flag table', async () => {
  for (const id of Object.keys(COMMANDS)) {
    const text = (await renderHelp(config, id)).replace(/\s+/g, ' ');
    const flags = (COMMANDS[id] as Command.Class).flags ?? {};
    for (const [name, flag] of Object.entries(flags)) {
      if (flag.hidden || flag.type !== 'option' || typeof flag.helpValue !== 'string') continue;
      assert.ok(text.includes(`--${name}=${flag.helpValue}`), `lbx ${id} --help: --${name}=${flag.helpValue} in the flag table`);
      const usage = flag.char ? `-${flag.char} ${flag.helpValue}` : `--${name} ${flag.helpValue}`;
      assert.ok(text.includes(usage), `lbx ${id} --help: ${usage} in the usage line`);
    }
  }
});

help('--max-error-rate shows its percent form, which EJS once cut at "%>"', async () => {
  const text = await renderHelp(config, 'send');
  assert.match(text, /--max-error-rate=<N%\|fraction>/);
});

help('no choice is listed as "x|x" (a short name that is the long name)', async () => {
  for (const id of Object.keys(COMMANDS)) {
    const text = await renderHelp(config, id);
    assert.not.match(text, /\b([a-z_]+)\|\1\b/, `lbx ${id} --help`);
  }
});

help('descriptions are paragraphs for oclif to wrap, not lines wrapped by hand', () => {
  for (const [id, command] of Object.entries(COMMANDS)) {
    const description = command.description ?? '';
    for (const paragraph of description.split('\n\n')) {
      assert.not.ok(paragraph.includes('\n'), `lbx ${id}: a line break inside a paragraph: ${JSON.stringify(paragraph.slice(0, 80))}`);
    }
  }
});

help('-n means one thing: lines, in `lbx logs`; no other command has it', () => {
  const withN = Object.entries(COMMANDS)
    .filter(([, command]) => Object.values(command.flags ?? {}).some((flag) => flag.char === 'n'))
    .map(([id]) => id);
  assert.equal(withN, ['logs']);
  assert.is(COMMANDS['logs']!.flags!['lines']!.char, 'n');
});

help.run();
