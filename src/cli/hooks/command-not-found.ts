// oclif's command_not_found hook: a usage error (exit 2) that suggests the nearest commands, as JSON with --json.
import { Errors, type Hook } from '@oclif/core';

import { printUsageError, unknownCommandError } from '../unknown-command.js';

// No prompt (as @oclif/plugin-not-found would) and no run of a guess: a script that typo'd gets exit 2 at once.
const commandNotFound: Hook<'command_not_found'> = async function commandNotFound(options) {
  const error = unknownCommandError(options.config, options.id);
  printUsageError(error, options.argv?.includes('--json') ?? false);
  throw new Errors.ExitError(error.exitCode);
};

export default commandNotFound;
