// `lbx sim --html`: bench's page for a simulated run, headed as a simulation, so a simulated and a real run look alike.
import type { SimResult } from '../../runtime/sim/sim-result.js';
import { describeModel, simAsBench } from '../render-sim.js';
import { escapeHtml } from './escape-html.js';
import { renderBenchHtml } from './render-bench-html.js';

export function renderSimHtml(result: SimResult): string {
  const page = renderBenchHtml(simAsBench(result));
  // Bench's heading names a cluster; a simulation names its model instead.
  return page
    .replace(/<title>lbx bench: [^<]*<\/title>/, '<title>lbx sim</title>')
    .replace(
      /<h1>lbx bench: ([^<]*)<\/h1><p class="meta">[^<]*<\/p>/,
      (_match, policies: string) => `<h1>lbx sim: ${policies}</h1><p class="meta">${escapeHtml(describeModel(result))}</p>`,
    )
    .replace('<p class="empty">No load series was recorded in this bench.</p>', '<p class="empty">A simulation records no load series.</p>');
}
