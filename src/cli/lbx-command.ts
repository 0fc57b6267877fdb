// The base of every lbx command: --json for free, parse failures as usage errors, LbxError printed unwrapped with its exit code.
import { Command, type Interfaces } from '@oclif/core';

import { isLbxError, LbxError } from '../core/lbx-error.js';
import { roundJsonNumbers } from '../core/round-json.js';
import { describeError } from '../runtime/process/wait-for.js';
import { stopActiveSpinner } from './spinner.js';

// oclif's parse() constrains its generics with these shapes but does not export them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type FlagOutput = { [name: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ArgOutput = { [name: string]: any };

/**
 * oclif wraps a flag's parse error as "Parsing --flag \n\t<message>\nSee more help with --help": one line instead,
 * "--flag: <message>", or just the message when it already names the flag (lbx's own parsers do).
 */
export function tidyParseMessage(message: string): string {
  const text = message.replace(/\nSee more help with --help$/, '');
  const wrapped = /^Parsing (--[\w-]+) \n\t([\s\S]*)$/.exec(text);
  if (!wrapped) return text;
  const [, flag, inner] = wrapped as unknown as [string, string, string];
  return inner.startsWith(flag) ? inner : `${flag}: ${inner}`;
}

/** Commands that never touch the state home; and those that create a cluster's state there, so need to write. */
const STATELESS_COMMANDS = new Set(['help', 'version', 'ring', 'sim']);
const STATE_WRITING_COMMANDS = new Set(['up', 'bench']);

export abstract class LbxCommand extends Command {
  static override enableJsonFlag = true;

  /** A state home that is a file, or read-only for `up`, is a usage error before anything runs (not ENOTDIR halfway). */
  protected override async init(): Promise<void> {
    await super.init();
    const id = this.id ?? '';
    if (STATELESS_COMMANDS.has(id) || id.startsWith('serve:')) return;
    const { lbxHome } = await import('../runtime/cluster/cluster-paths.js');
    const { checkStateHome } = await import('../runtime/cluster/state-home.js');
    await checkStateHome(lbxHome(), { mustWrite: STATE_WRITING_COMMANDS.has(id) });
  }

  /** oclif exits 1 on some parse failures (bad argument values); every one of them is a usage error (exit 2). */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (error) {
      if (!(error instanceof Error) || ('oclif' in error && (error as { oclif?: { exit?: number } }).oclif?.exit === 0)) throw error;
      const hint = `see: ${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? '<command>'} --help`;
      const suggestions = isLbxError(error) ? [...error.suggestions, hint] : [hint];
      throw new LbxError(isLbxError(error) ? error.code : 'usage', tidyParseMessage(error.message), suggestions);
    }
  }

  /** Every command's --json document, with its numbers rounded (no `elapsedMs: 1523.4567890123`). */
  protected override toSuccessJson(result: unknown): unknown {
    return roundJsonNumbers(result);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    // A spinner left running would overwrite the error line.
    stopActiveSpinner();
    // oclif's own exits (this.exit(), --help, --version) pass through; every other failure is a runtime error with a code, also in --json.
    if ('oclif' in error && (error as { oclif?: { exit?: number } }).oclif?.exit !== undefined) return super.catch(error);
    if (!isLbxError(error)) error = new LbxError('runtime', describeError(error), [], { cause: error });
    if (!isLbxError(error)) return super.catch(error);
    // Printed here rather than by oclif, which wraps lines at 80 columns and breaks grep in CI logs.
    if (this.jsonEnabled()) {
      this.logJson({ error: { code: error.code, exitCode: error.exitCode, message: error.message, suggestions: error.suggestions } });
    } else {
      const hints = error.suggestions.map((hint) => `  ${hint}\n`).join('');
      process.stderr.write(`Error: ${error.message}\n${hints}`);
    }
    return this.exit(error.exitCode);
  }
}
