// `npm run setup` (scripts/setup.sh) against stub tools: what it installs, through sudo or not, and what it does without apt-get.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const SETUP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/setup.sh');
const ALL_TOOLS = ['etcd', 'chromium', 'haproxy', 'nginx', 'ip', 'nft', 'script'] as const;
/** Real programs the script itself runs (bash builtins aside). */
const REAL = ['bash', 'env'] as const;
const whereIs = (program: string): string => spawnSync('bash', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
const BASH = whereIs('bash');

interface Machine {
  readonly bin: string;
  readonly log: string;
  run(): { status: number | null; stdout: string; stderr: string; calls: string[] };
}

/**
 * A machine in a directory: PATH holds only stubs. apt-get logs its arguments and "installs" a package by
 * creating a stub for its command; sudo logs and runs the rest; sh and rm only log (policy-rc.d is not touched).
 */
function machine(options: { tools: readonly string[]; uid: number; sudo: boolean; apt: boolean; aptHasChromium?: boolean }): Machine {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lbx-setup-'));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  mkdirSync(bin);
  const stub = (name: string, body: string): void => {
    writeFileSync(path.join(bin, name), `#!${BASH}\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  for (const real of REAL) symlinkSync(whereIs(real), path.join(bin, real));
  for (const tool of options.tools) stub(tool, 'exit 0');
  stub('id', `echo ${options.uid}`);
  stub('sh', `echo "sh $*" >> ${log}`);
  stub('rm', `echo "rm $*" >> ${log}`);
  if (options.sudo) stub('sudo', `echo "sudo $*" >> ${log}\nexec "$@"`);
  if (options.apt) {
    const commandOf = 'case "$p" in etcd-server) c=etcd;; chromium|chromium-browser) c=chromium;; iproute2) c=ip;; nftables) c=nft;; bsdutils) c=script;; *) c="$p";; esac';
    stub(
      'apt-get',
      `echo "apt-get $*" >> ${log}\nif [ "$1" = install ]; then for p in "$@"; do ${commandOf}; case "$p" in -*|install) ;; *) printf '#!/bin/sh\\nexit 0\\n' > ${bin}/$c; /bin/chmod 755 ${bin}/$c;; esac; done; fi`,
    );
    stub('apt-cache', options.aptHasChromium === false ? 'exit 100' : 'exit 0');
  }
  return {
    bin,
    log,
    run: () => {
      const result = spawnSync(path.join(bin, 'bash'), [SETUP], { encoding: 'utf8', env: { PATH: bin, LBX_SETUP_SBIN: '' }, timeout: 20_000 });
      const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
      rmSync(dir, { recursive: true, force: true });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    },
  };
}

const test = suite('npm run setup');

test('with every tool present it installs nothing', () => {
  const result = machine({ tools: ALL_TOOLS, uid: 1000, sudo: true, apt: true }).run();
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, 'setup: nothing to install');
  assert.equal(result.calls, []);
});

test('as root it apt-installs exactly the missing packages, without sudo', () => {
  const result = machine({ tools: ['haproxy', 'nginx', 'ip', 'nft', 'script'], uid: 0, sudo: true, apt: true }).run();
  assert.is(result.status, 0, result.stderr);
  const apt = result.calls.filter((call) => call.startsWith('apt-get'));
  assert.equal(apt, ['apt-get update -qq', 'apt-get install -y -qq etcd-server chromium']);
  assert.not.ok(
    result.calls.some((call) => call.startsWith('sudo')),
    result.calls.join('\n'),
  );
  assert.match(result.stdout, 'setup: installed etcd-server chromium');
});

test('not root: through sudo; the daemons are kept from starting (policy-rc.d) while apt runs', () => {
  const result = machine({ tools: ['etcd', 'chromium', 'ip', 'nft', 'script'], uid: 1000, sudo: true, apt: true }).run();
  assert.is(result.status, 0, result.stderr);
  const viaSudo = result.calls.filter((call) => call.startsWith('sudo') && call.includes('apt-get'));
  assert.equal(viaSudo, ['sudo apt-get update -qq', 'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy nginx']);
  // Only when this machine has no policy-rc.d of its own does the script add (and then remove) one.
  if (!existsSync('/usr/sbin/policy-rc.d'))
    assert.ok(
      result.calls.some((call) => call.startsWith('sudo sh -c')),
      result.calls.join('\n'),
    );
});

test('Ubuntu: chromium-browser when apt has no chromium package', () => {
  const result = machine({ tools: ['etcd', 'haproxy', 'nginx', 'ip', 'nft', 'script'], uid: 0, sudo: false, apt: true, aptHasChromium: false }).run();
  assert.is(result.status, 0, result.stderr);
  assert.ok(result.calls.includes('apt-get install -y -qq chromium-browser'), result.calls.join('\n'));
});

test('without apt-get, or without root and sudo, it says what to install and exits 0 (the tests then skip, loudly)', () => {
  const noApt = machine({ tools: ['etcd'], uid: 0, sudo: false, apt: false }).run();
  assert.is(noApt.status, 0);
  assert.match(noApt.stderr, /no apt-get here; install chromium haproxy nginx iproute2 nftables bsdutils/);
  const noSudo = machine({ tools: ['etcd', 'chromium', 'haproxy', 'nginx', 'ip', 'nft'], uid: 1000, sudo: false, apt: true }).run();
  assert.is(noSudo.status, 0);
  assert.match(noSudo.stderr, /not root and no sudo; as root run: apt-get install -y bsdutils/);
  assert.not.ok(
    noSudo.calls.some((call) => call.startsWith('apt-get')),
    noSudo.calls.join('\n'),
  );
});

test('an install that leaves a tool missing fails', () => {
  const m = machine({ tools: ['etcd', 'chromium', 'haproxy', 'ip', 'nft', 'script'], uid: 0, sudo: false, apt: true });
  // apt-get "succeeds" without installing anything.
  writeFileSync(path.join(m.bin, 'apt-get'), `#!${BASH}\necho "apt-get $*" >> ${m.log}\n`);
  const result = m.run();
  assert.is(result.status, 1);
  assert.match(result.stderr, 'setup: nginx is still missing after installing nginx');
});

test.run();
