// The --html <file> flag of `report` (and `bench`): also write the result as one self-contained HTML page.
import { Flags } from '@oclif/core';

export const htmlFileFlag = Flags.string({
  description: 'Also write the result as one self-contained HTML file with charts (no network needed to view it).',
  helpValue: '<file>',
});
