// The data planes' policy table, the states they are driven by, and the HAProxy / NGINX configs generated from them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { dataPlaneRefusal, dataPlanePolicyTable, mapPolicyForDataPlane, supportedPolicies } from '../../src/core/dataplane/policy-mapping.js';
import { dataPlaneState, needsNewBalance, type DataPlaneState, type PlanEndpoint } from '../../src/core/dataplane/data-plane-state.js';
import { haproxyConfig, haproxyRuntimeCommands, hashBalanceFactor } from '../../src/core/dataplane/haproxy-config.js';
import { nginxConfig } from '../../src/core/dataplane/nginx-config.js';
import { POLICIES } from '../../src/core/policies/index.js';

const endpoint = (port: number, fields: Partial<PlanEndpoint> = {}): PlanEndpoint => ({ host: '127.0.0.1', port, weight: 1, health: 'healthy', ...fields });

function stateOf(kind: 'haproxy' | 'nginx', policy: string, endpoints: readonly PlanEndpoint[], hashBalance?: number): DataPlaneState {
  const state = dataPlaneState(kind, policy, endpoints, hashBalance);
  if ('error' in state) throw new Error(state.error);
  return state;
}

const mapping = suite('data plane policy mapping');

mapping('the five mapped policies, each with its directive on both data planes', () => {
  const directives = dataPlanePolicyTable().map((row) => [row.policy, row.haproxy.directive, row.nginx.directive]);
  assert.equal(directives, [
    ['round_robin', 'roundrobin', ''],
    ['least_connections', 'leastconn', 'least_conn'],
    ['power_of_two', 'random(2)', 'random two least_conn'],
    ['weighted_round_robin', 'roundrobin', ''],
    ['consistent_hash', 'hdr(x-lbx-key)', 'hash $http_x_lbx_key consistent'],
  ]);
});

mapping('every other lbx policy is refused with the list of what is supported', () => {
  const unsupported = POLICIES.map((policy) => policy.name).filter((name) => !supportedPolicies('haproxy').includes(name));
  assert.equal(unsupported.sort(), ['least_load', 'peak_ewma', 'pick_first', 'prequal', 'random']);
  for (const name of unsupported) {
    for (const kind of ['haproxy', 'nginx'] as const) {
      const result = mapPolicyForDataPlane(kind, name);
      assert.is(result.kind, 'unsupported', `${kind} ${name}`);
      assert.match(dataPlaneRefusal(kind, name) ?? '', `supports: round_robin, least_connections, power_of_two, weighted_round_robin, consistent_hash`);
    }
  }
});

mapping('--hash-balance: HAProxy takes it, NGINX refuses it', () => {
  assert.is(dataPlaneRefusal('haproxy', 'consistent_hash', { hashBalance: 1.25 }), undefined);
  assert.match(dataPlaneRefusal('nginx', 'consistent_hash', { hashBalance: 1.25 }) ?? '', 'no bounded-load hashing');
  assert.is(dataPlaneRefusal('nginx', 'consistent_hash'), undefined);
  assert.is(hashBalanceFactor(1.25), 125);
  assert.is(hashBalanceFactor(1.001), 100);
});

mapping.run();

const states = suite('data plane state');

states('weights count under wrr only; DRAINING becomes drain; servers sorted by port', () => {
  const endpoints = [endpoint(7002, { weight: 40, health: 'draining' }), endpoint(7001, { weight: 3 })];
  assert.equal(
    stateOf('haproxy', 'weighted_round_robin', endpoints).servers.map((server) => [server.port, server.weight, server.state]),
    [
      [7001, 3, 'ready'],
      [7002, 40, 'drain'],
    ],
  );
  // Under lc the plan's weights are load-driven: the proxy's own leastconn replaces them.
  assert.equal(
    stateOf('haproxy', 'least_connections', endpoints).servers.map((server) => server.weight),
    [1, 1],
  );
  assert.ok('error' in dataPlaneState('nginx', 'peak_ewma', endpoints));
});

states('a policy or hash-balance change needs a new config; membership does not', () => {
  const before = stateOf('haproxy', 'round_robin', [endpoint(7001)]);
  assert.not.ok(needsNewBalance(before, stateOf('haproxy', 'round_robin', [endpoint(7001), endpoint(7002)])));
  assert.ok(needsNewBalance(before, stateOf('haproxy', 'least_connections', [endpoint(7001)])));
  assert.ok(needsNewBalance(stateOf('haproxy', 'consistent_hash', []), stateOf('haproxy', 'consistent_hash', [], 1.5)));
  assert.ok(needsNewBalance(undefined, before));
});

states.run();

const haproxy = suite('HAProxy config');
const SLOTS = [7001, 7002, 7003].map((port) => ({ host: '127.0.0.1', port }));
const input = (state: DataPlaneState) => ({
  listenHost: '127.0.0.1',
  listenPort: 7108,
  socketPath: '/c/haproxy/haproxy.sock',
  pidFile: '/c/haproxy/haproxy.pid',
  slots: SLOTS,
  state,
});

haproxy('h2c both ways, retries with redispatch, every slot present, non-members disabled', () => {
  const config = haproxyConfig(input(stateOf('haproxy', 'least_connections', [endpoint(7001), endpoint(7003, { health: 'draining' })])));
  for (const line of [
    '  bind 127.0.0.1:7108 proto h2',
    '  balance leastconn',
    '  default-server proto h2 check inter 500ms fall 1 rise 1',
    '  stats socket /c/haproxy/haproxy.sock mode 600 level admin expose-fd listeners',
    '  pidfile /c/haproxy/haproxy.pid',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response junk-response 503',
    '  server b7001 127.0.0.1:7001 weight 1',
    '  server b7002 127.0.0.1:7002 weight 1 disabled',
    '  server b7003 127.0.0.1:7003 weight 1 disabled',
  ]) {
    assert.ok(config.split('\n').includes(line), `missing: ${line}\n${config}`);
  }
  assert.not.match(config, '/etc/');
});

haproxy('ch hashes the key header consistently, with hash-balance-factor when bounded', () => {
  const config = haproxyConfig(input(stateOf('haproxy', 'consistent_hash', [endpoint(7001)], 1.25)));
  assert.match(config, '  balance hdr(x-lbx-key)\n  hash-type consistent\n  hash-balance-factor 125\n');
  assert.not.match(haproxyConfig(input(stateOf('haproxy', 'round_robin', [endpoint(7001)]))), 'hash-type');
});

haproxy('runtime commands: only what changed; undefined previous = a full resync of every slot', () => {
  const ports = SLOTS.map((slot) => slot.port);
  const before = stateOf('haproxy', 'weighted_round_robin', [endpoint(7001), endpoint(7002)]);
  const after = stateOf('haproxy', 'weighted_round_robin', [endpoint(7001, { weight: 4 }), endpoint(7002, { health: 'draining' }), endpoint(7003)]);
  assert.equal(haproxyRuntimeCommands(ports, before, after), [
    'set server backends/b7001 weight 4',
    'set server backends/b7002 state drain',
    'set server backends/b7003 weight 1',
    'set server backends/b7003 state ready',
  ]);
  assert.equal(haproxyRuntimeCommands(ports, after, stateOf('haproxy', 'weighted_round_robin', [endpoint(7001, { weight: 4 })])), [
    'set server backends/b7002 state maint',
    'set server backends/b7003 state maint',
  ]);
  assert.equal(haproxyRuntimeCommands(ports, after, after), []);
  assert.is(haproxyRuntimeCommands(ports, undefined, after).length, 3 + 3);
});

haproxy.run();

const nginx = suite('NGINX config');

nginx('http2 listen, grpc_pass with keepalive after the balancing method, retries of sent calls, files under the prefix', () => {
  const config = nginxConfig({
    listenHost: '127.0.0.1',
    listenPort: 7108,
    prefix: '/c/nginx',
    state: stateOf('nginx', 'power_of_two', [endpoint(7001), endpoint(7002, { health: 'draining' })]),
  });
  assert.match(config, 'listen 127.0.0.1:7108 http2;');
  assert.match(config, 'grpc_pass grpc://backends;');
  assert.match(
    config,
    '    random two least_conn;\n    server 127.0.0.1:7001 weight=1 max_fails=1 fail_timeout=2s;\n    server 127.0.0.1:7002 weight=1 max_fails=1 fail_timeout=2s down;\n    keepalive 64;',
  );
  assert.match(config, 'grpc_next_upstream error timeout non_idempotent;');
  assert.match(config, 'daemon off;\nmaster_process on;');
  assert.match(config, 'pid /c/nginx/nginx.pid;');
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) assert.match(config, `${temp}_temp_path /c/nginx/tmp/${temp};`);
  assert.not.match(config, '/etc/');
  assert.not.match(config, 'user ');
});

nginx('wrr weights, ch hash, and a placeholder server when no backend is a member', () => {
  const wrr = nginxConfig({ listenHost: '127.0.0.1', listenPort: 7108, prefix: '/c', state: stateOf('nginx', 'weighted_round_robin', [endpoint(7001, { weight: 3 })]) });
  assert.match(wrr, 'server 127.0.0.1:7001 weight=3 ');
  const ch = nginxConfig({ listenHost: '127.0.0.1', listenPort: 7108, prefix: '/c', state: stateOf('nginx', 'consistent_hash', []), user: 'root' });
  assert.match(ch, '    hash $http_x_lbx_key consistent;\n    server 127.0.0.1:1 down;\n');
  assert.match(ch, 'user root;');
});

nginx.run();
