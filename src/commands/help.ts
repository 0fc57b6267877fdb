import { Args, loadHelpClass } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { unknownCommandError } from '../cli/unknown-command.js';

export default class Help extends LbxCommand {
  static override summary = 'Show help for lbx, or for one command: `lbx help send` is `lbx send --help`.';

  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help send', '<%= config.bin %> help serve lb'];

  // Help is text: there is no JSON form of it.
  static override enableJsonFlag = false;

  static override strict = false;

  static override args = { command: Args.string({ description: 'The command (a topic and its command for `serve lb`).' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const words = argv as string[];
    const id = words.join(':');
    // oclif's help says only "command x not found": lbx's usage error suggests the nearest command.
    if (words.length > 0 && this.config.findCommand(id) === undefined && this.config.findTopic(id) === undefined) {
      throw unknownCommandError(this.config, id);
    }
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions).showHelp(words);
  }
}
