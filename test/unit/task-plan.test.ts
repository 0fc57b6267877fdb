// The send plan: exact counts, reproducible by seed, and no periodic pattern for round robin to alias with.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { planTasks } from '../../src/core/task-plan.js';

const test = suite('planTasks');

test('has exactly the requested counts', () => {
  const plan = planTasks(500, 100, 1);
  assert.equal(plan.length, 600);
  assert.equal(plan.filter((kind) => kind === 'CPU_HEAVY').length, 100);
});

test('the same seed gives the same plan; another seed another plan', () => {
  assert.equal(planTasks(50, 10, 42), planTasks(50, 10, 42));
  assert.not.equal(planTasks(50, 10, 42).join(), planTasks(50, 10, 43).join());
});

test('heavy tasks do not line up with a round-robin period of 3 (the bug a periodic plan had)', () => {
  const plan = planTasks(500, 100, 7);
  const heavyByResidue = [0, 1, 2].map((residue) => plan.filter((kind, index) => kind === 'CPU_HEAVY' && index % 3 === residue).length);
  for (const count of heavyByResidue) assert.ok(count > 15 && count < 55, `heavy per residue class: ${heavyByResidue.join(', ')}`);
});

test('empty and one-sided plans', () => {
  assert.equal(planTasks(0, 0, 1), []);
  assert.equal(planTasks(3, 0, 1), ['SIMPLE', 'SIMPLE', 'SIMPLE']);
  assert.equal(planTasks(0, 2, 1), ['CPU_HEAVY', 'CPU_HEAVY']);
});

test.run();
