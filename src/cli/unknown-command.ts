// The usage error for a command lbx does not have, with the nearest commands as suggestions (`lbx sned` → did you mean: lbx send?).
import type { Interfaces } from '@oclif/core';

import { closestNames } from '../core/did-you-mean.js';
import { LbxError } from '../core/lbx-error.js';

/** "serve:lb" as typed: "serve lb". */
const asTyped = (id: string): string => id.replaceAll(':', ' ');

/** The error for `id` (oclif's form, "serve:lbb"), naming the closest visible commands and aliases. */
export function unknownCommandError(config: Interfaces.Config, id: string): LbxError {
  const known = config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases]);
  const close = closestNames(asTyped(id), [...new Set(known)].map(asTyped));
  return new LbxError('usage', `"${asTyped(id)}" is not an ${config.bin} command`, [
    ...(close.length === 0 ? [] : [`did you mean: ${close.map((name) => `${config.bin} ${name}`).join(', or ')}?`]),
    `see: ${config.bin} --help`,
  ]);
}

/** Prints the error as LbxCommand does (JSON on stdout with --json, else two plain lines on stderr). */
export function printUsageError(error: LbxError, isJson: boolean): void {
  if (isJson) {
    process.stdout.write(`${JSON.stringify({ error: { code: error.code, exitCode: error.exitCode, message: error.message, suggestions: error.suggestions } }, null, 2)}\n`);
  } else {
    process.stderr.write(`Error: ${error.message}\n${error.suggestions.map((hint) => `  ${hint}\n`).join('')}`);
  }
}
