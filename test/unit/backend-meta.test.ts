// A backend's registry meta: what it announces, and how the LB reads traits back (malformed meta means none).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { backendMeta, traitsFromMeta } from '../../src/runtime/backend/backend-meta.js';

const meta = suite('backend meta');

meta('a backend announces role, weight and speed as strings, and the LB reads the same traits back', () => {
  for (const traits of [
    { weight: 1, speed: 1 },
    { weight: 3, speed: 0.25 },
    { weight: 1_000, speed: 0.01 },
    { weight: 0.5, speed: 100 },
  ]) {
    const announced = backendMeta(traits);
    assert.equal(announced, { role: 'backend', weight: String(traits.weight), speed: String(traits.speed) });
    assert.equal(traitsFromMeta(announced), traits);
  }
});

meta('absent or malformed traits give none, so the LB keeps its defaults or what the backend told it', () => {
  const table: Array<[Record<string, string>, string]> = [
    [{}, 'no meta'],
    [{ role: 'backend' }, 'an older backend without traits'],
    [{ weight: '2' }, 'speed missing'],
    [{ speed: '2' }, 'weight missing'],
    [{ weight: '', speed: '1' }, 'empty weight'],
    [{ weight: 'abc', speed: '1' }, 'not a number'],
    [{ weight: '0', speed: '1' }, 'weight 0'],
    [{ weight: '-1', speed: '1' }, 'negative'],
    [{ weight: '1001', speed: '1' }, 'weight above 1000'],
    [{ weight: '1', speed: '0.001' }, 'speed below 0.01'],
    [{ weight: '1', speed: '101' }, 'speed above 100'],
    [{ weight: '1e2', speed: '1' }, 'exponent'],
    [{ weight: '0x10', speed: '1' }, 'hex'],
    [{ weight: ' 2', speed: '1' }, 'blank'],
    [{ weight: 'Infinity', speed: '1' }, 'Infinity'],
  ];
  for (const [input, what] of table) assert.is(traitsFromMeta(input), undefined, what);
});

meta.run();
