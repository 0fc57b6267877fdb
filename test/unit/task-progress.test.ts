import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { describeTaskProgress } from '../../src/cli/task-progress.js';

const progress = suite('task progress line');

progress('done/total with percent, rate, elapsed, ETA and failures', () => {
  assert.is(describeTaskProgress(1_000, 5_000, 3, 2_000), '1,000/5,000 (20.0%) · 500/s · 2s elapsed · ETA 8s · 3 failed');
});

progress('no ETA before the first task ended or after the last', () => {
  assert.is(describeTaskProgress(0, 100, 0, 0), '0/100 (0.0%) · 0/s · 0s elapsed · 0 failed');
  assert.is(describeTaskProgress(100, 100, 0, 1_000), '100/100 (100.0%) · 100/s · 1s elapsed · 0 failed');
});

progress.run();
