// The base of every lbx command: --json for free, and LbxError mapped to its exit code and suggestions.
import { Command, Errors } from '@oclif/core';

import { isLbxError } from '../core/lbx-error.js';
import { stopActiveSpinner } from './spinner.js';

export abstract class LbxCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    // A spinner left running would overwrite the error line.
    stopActiveSpinner();
    if (isLbxError(error)) {
      process.exitCode = error.exitCode;
      return super.catch(
        Object.assign(new Errors.CLIError(error.message, { exit: error.exitCode, suggestions: [...error.suggestions] }), {
          exitCode: error.exitCode,
          code: error.code,
        }),
      );
    }
    return super.catch(error);
  }
}
