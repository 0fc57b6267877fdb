// Reading the exposition format back, and where each role serves its metrics.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { parseExposition, sumSamples } from '../../src/runtime/metrics/parse-exposition.js';
import { MAX_BACKENDS, MAX_BASE_PORT, metricsAddressOf, portLayout, portsToBind } from '../../src/runtime/cluster/ports.js';

const parse = suite('parseExposition');

parse('samples with labels, escapes, +Inf and timestamps; comments skipped', () => {
  const samples = parseExposition(
    ['# HELP x_total a help', '# TYPE x_total counter', 'x_total{a="1",b="q\\"uote"} 3', 'x_total{a="2"} 4 1700000000000', 'h_bucket{le="+Inf"} 9', 'g -1.5e-3', ''].join('\n'),
  );
  assert.equal(samples.length, 4);
  assert.equal(samples[0], { name: 'x_total', labels: { a: '1', b: 'q"uote' }, value: 3 });
  assert.equal(sumSamples(samples, 'x_total'), 7);
  assert.equal(sumSamples(samples, 'x_total', { a: '2' }), 4);
  assert.equal(samples[2]?.labels, { le: '+Inf' });
  assert.equal(samples[3]?.value, -0.0015);
});

parse('a line that is not a sample is rejected with its number', () => {
  assert.throws(() => parseExposition('ok 1\nnot a sample line'), /line 2/);
  assert.throws(() => parseExposition('x{a=1} 2'), /line 1/);
});

parse.run();

const ports = suite('metrics ports');

ports('the LB serves metrics on base+106, each backend on its port + 110, every one below 32768', () => {
  const layout = portLayout(7000);
  assert.equal(layout.lbMetrics, 7106);
  assert.equal([layout.backendMetrics(0), layout.backendMetrics(MAX_BACKENDS - 1)], [7111, 7174]);
  assert.equal(metricsAddressOf('lb', '127.0.0.1:7100'), '127.0.0.1:7106');
  assert.equal(metricsAddressOf('backend', '127.0.0.1:7003'), '127.0.0.1:7113');
  assert.equal(metricsAddressOf('backend', '[::1]:7003'), '[::1]:7113');
  assert.equal(metricsAddressOf('registry', '127.0.0.1:7102'), undefined);
  const highest = portsToBind(portLayout(MAX_BASE_PORT), MAX_BACKENDS, 'consul');
  assert.ok(Math.max(...highest.map((entry) => entry.port)) <= 32_767);
});

ports('up checks every metrics port, and no two components share a port', () => {
  for (const registry of ['embedded', 'consul', 'etcd'] as const) {
    const bound = portsToBind(portLayout(7000), MAX_BACKENDS, registry);
    assert.equal(new Set(bound.map((entry) => entry.port)).size, bound.length, `${registry}: ports unique`);
    assert.equal(bound.filter((entry) => entry.component.endsWith('metrics')).length, MAX_BACKENDS + 1);
    // Clusters 200 apart must not collide: the layout spans fewer than 200 ports.
    assert.ok(Math.max(...bound.map((entry) => entry.port)) - 7000 < 200);
  }
});

ports.run();
