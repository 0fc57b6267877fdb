// Integration tests take their ports from freeBasePort(), never a fixed base that a user's running cluster may hold.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const integrationDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../integration');
/** A base port written as a number: `BASE_PORT = 13_000`, `basePort: 22_600`, `'--base-port', '7000'`. */
const FIXED_BASE_PORT = /(base_?port\w*\s*[:=]\s*\d)|(--base-port['"]\s*,\s*['"]\d)/i;

const test = suite('integration test ports');

test('no integration test file fixes a base port', () => {
  const files = readdirSync(integrationDir).filter((name) => name.endsWith('.test.ts'));
  assert.ok(files.length > 10, `found ${files.length} files in ${integrationDir}`);
  const offending = files.flatMap((name) =>
    readFileSync(path.join(integrationDir, name), 'utf8')
      .split('\n')
      .flatMap((line, index) => (FIXED_BASE_PORT.test(line) ? [`${name}:${index + 1}: ${line.trim()}`] : [])),
  );
  assert.equal(offending, [], 'use freeBasePort() from test/helpers/free-base-port.ts');
});

test.run();
