import { LbxCommand } from '../cli/lbx-command.js';

export interface VersionResult {
  readonly name: string;
  readonly version: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
}

export default class Version extends LbxCommand {
  static override summary = "Show lbx's version, with the Node.js version and platform it runs on (as --version).";

  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];

  async run(): Promise<VersionResult> {
    await this.parse(Version);
    if (!this.jsonEnabled()) this.log(this.config.userAgent);
    return { name: this.config.name, version: this.config.version, node: process.versions.node, platform: this.config.platform, arch: this.config.arch };
  }
}
