// Reading etcd's JSON gateway: NDJSON splitting of the watch stream, watch messages, and unary replies.
// The sample lines are what etcd 3.4.23's gateway sent on this machine (only the IDs shortened).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isHealthyReply, isLeaseNotFound, readGatewayError, readGrantReply, readKeepAliveReply, readRangeReply } from '../../src/runtime/registry/etcd/etcd-gateway-json.js';
import { MAX_WATCH_LINE_CHARS, NdjsonSplitter, parseWatchLine } from '../../src/runtime/registry/etcd/etcd-watch-parser.js';

const HEADER = '"header":{"cluster_id":"2375181864447732657","member_id":"9368506742490709939","revision":"4","raft_term":"2"}';
const CREATED = `{"result":{${HEADER},"created":true}}`;
// A put (the gateway leaves out "type": PUT is the enum's zero value) and a delete in one response.
const EVENTS = `{"result":{${HEADER},"events":[{"kv":{"key":"L2xieC9h","create_revision":"2","mod_revision":"2","version":"1","value":"eA=="}},{"type":"DELETE","kv":{"key":"L2xieC9h","mod_revision":"3"}}]}}`;
const COMPACTED = '{"result":{"header":{"cluster_id":"1","member_id":"2","raft_term":"2"},"canceled":true,"compact_revision":"4"}}';

const splitter = suite('NDJSON splitter');

splitter('lines come out only once complete, however the chunks fall', () => {
  const stream = `${CREATED}\n${EVENTS}\n`;
  for (const size of [1, 2, 7, 64, stream.length]) {
    const lines = new NdjsonSplitter();
    const out: string[] = [];
    for (let at = 0; at < stream.length; at += size) out.push(...lines.push(stream.slice(at, at + size)));
    out.push(...lines.end());
    assert.equal(out, [CREATED, EVENTS], `chunks of ${size}`);
  }
});

splitter('blank lines and \\r\\n endings are tolerated; a last line without newline comes out at end()', () => {
  const lines = new NdjsonSplitter();
  assert.equal(lines.push(`\n${CREATED}\r\n\n{"result`), [CREATED]);
  assert.equal(lines.push('":{}}'), []);
  assert.equal(lines.end(), ['{"result":{}}']);
  assert.equal(lines.end(), [], 'nothing twice');
});

splitter('an unfinished line longer than the cap throws instead of growing without bound', () => {
  const lines = new NdjsonSplitter();
  assert.throws(() => lines.push('x'.repeat(MAX_WATCH_LINE_CHARS + 1)), /longer than/);
});

splitter.run();

const messages = suite('watch messages');

messages('created, events (put without a type, delete), progress', () => {
  assert.equal(parseWatchLine(CREATED), { kind: 'created' });
  assert.equal(parseWatchLine(EVENTS), {
    kind: 'events',
    events: [
      { type: 'put', key: '/lbx/a', value: 'x', modRevision: '2' },
      { type: 'delete', key: '/lbx/a', value: '', modRevision: '3' },
    ],
  });
  assert.equal(parseWatchLine(`{"result":{${HEADER}}}`), { kind: 'progress' });
  assert.equal(parseWatchLine(`{"result":{${HEADER},"events":[]}}`), { kind: 'progress' });
});

messages('a watch canceled because its revision was compacted says so', () => {
  assert.equal(parseWatchLine(COMPACTED), { kind: 'canceled', reason: 'history compacted up to revision 4' });
  assert.equal(parseWatchLine('{"result":{"canceled":true,"cancel_reason":"mvcc: required revision is a future revision"}}'), {
    kind: 'canceled',
    reason: 'mvcc: required revision is a future revision',
  });
  assert.equal(parseWatchLine('{"result":{"canceled":true}}'), { kind: 'canceled', reason: 'canceled by etcd' });
});

messages('a stream error carries its message', () => {
  assert.equal(parseWatchLine('{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}'), {
    kind: 'error',
    message: 'etcdserver: no leader',
  });
});

messages('lines that are not watch responses are malformed, not thrown', () => {
  const kinds = ['not json', '[1]', '{"something":"else"}', '{"result":{"events":[{"type":"PUT"}]}}', '{"result":{"events":[{"type":"MERGE","kv":{"key":"YQ=="}}]}}'].map(
    (line) => parseWatchLine(line).kind,
  );
  assert.equal(kinds, ['malformed', 'malformed', 'malformed', 'malformed', 'malformed']);
});

messages.run();

const replies = suite('gateway replies');

replies('range: the header revision and the decoded pairs; no "kvs" means none', () => {
  assert.equal(
    readRangeReply(
      JSON.parse(`{${HEADER},"kvs":[{"key":"L2xieC9h","create_revision":"2","mod_revision":"2","version":"1","value":"eA==","lease":"4590190553992767509"}],"count":"1"}`),
    ),
    { revision: '4', kvs: [{ key: '/lbx/a', value: 'x', lease: '4590190553992767509', modRevision: '2' }] },
  );
  assert.equal(readRangeReply(JSON.parse(`{${HEADER}}`)), { revision: '4', kvs: [] });
  assert.throws(() => readRangeReply({ kvs: [] }), /without a header revision/);
  assert.throws(() => readRangeReply('text'), /not an object/);
});

replies('lease IDs beyond 2^53 stay exact strings', () => {
  assert.is(readGrantReply(JSON.parse(`{${HEADER},"ID":"4590190553992767494","TTL":"2"}`)), '4590190553992767494');
  assert.throws(() => readGrantReply(JSON.parse(`{${HEADER},"ID":"7","TTL":"2","error":"lease already exists"}`)), /refused: lease already exists/);
  assert.throws(() => readGrantReply(JSON.parse(`{${HEADER}}`)), /without an ID/);
});

replies('keepalive: the TTL left, or 0 when etcd no longer has the lease (a 200 without "TTL", not an error)', () => {
  assert.is(readKeepAliveReply(JSON.parse(`{"result":{${HEADER},"ID":"4590190553992767514","TTL":"2"}}`)), 2);
  assert.is(readKeepAliveReply(JSON.parse(`{"result":{${HEADER},"ID":"4590190553992767509"}}`)), 0);
  assert.throws(() => readKeepAliveReply(JSON.parse('{"error":{"message":"etcdserver: no leader"}}')), /no leader/);
});

replies('errors, lease-not-found, health', () => {
  const notFound = JSON.parse('{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}');
  assert.is(readGatewayError(notFound), 'etcdserver: requested lease not found');
  assert.ok(isLeaseNotFound(notFound));
  assert.not.ok(isLeaseNotFound(JSON.parse('{"error":"illegal base64 data at input byte 0","message":"illegal base64 data at input byte 0","code":3}')));
  assert.ok(isHealthyReply({ health: 'true' }));
  assert.not.ok(isHealthyReply({ health: 'false' }));
  assert.not.ok(isHealthyReply('true'));
});

replies.run();
