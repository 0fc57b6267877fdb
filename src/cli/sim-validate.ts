// `lbx sim --validate`: the supermarket and subsetting checks with the flags' sizes, as a document and its tables.
import { LbxError } from '../core/lbx-error.js';
import { parseSubsetSpec } from '../core/sim/subsetting.js';
import { runSubsettingCheck, runSupermarketCheck, type SubsettingRow, type SupermarketRow } from '../core/sim/validations.js';
import type { SimResult } from '../runtime/sim/sim-result.js';
import { renderSubsettingRows, renderSupermarketRows, SUBSETTING_NOTE, SUPERMARKET_NOTE } from './render-sim-validation.js';

export const SIM_VALIDATION_SCHEMA = 'lbx.sim-validation/v1';

export interface SimValidationResult {
  readonly schema: typeof SIM_VALIDATION_SCHEMA;
  readonly validation: 'supermarket' | 'subsetting';
  readonly passed: boolean;
  readonly supermarket?: readonly SupermarketRow[];
  readonly subsetting?: readonly SubsettingRow[];
}

const SUPERMARKET_LAMBDAS = [0.9, 0.99];

export function runSimValidation(
  kind: 'supermarket' | 'subsetting',
  flags: { backends?: number; clients?: number; requests?: number; subset: string; seed?: number },
): SimValidationResult & { text: string } {
  const seed = flags.seed ?? 1;
  if (kind === 'supermarket') {
    const servers = flags.backends ?? 1_000;
    const rows = runSupermarketCheck({ servers, lambdas: SUPERMARKET_LAMBDAS, requests: () => flags.requests ?? 1_000_000, seed });
    const passed = rows.every((row) => row.passed);
    return { schema: SIM_VALIDATION_SCHEMA, validation: kind, passed, supermarket: rows, text: `${renderSupermarketRows(rows)}\n\n${SUPERMARKET_NOTE}` };
  }
  const spec = parseSubsetSpec(flags.subset === 'none' ? 'random:90' : flags.subset);
  if (spec.kind === 'none') throw new LbxError('usage', '--validate subsetting needs a subset size: --subset random:K');
  const rows = runSubsettingCheck({ clients: flags.clients ?? 300, backends: flags.backends ?? 300, size: spec.size, seed });
  // Deterministic subsets must give every backend the same count when K · clients is a multiple of the backends.
  const deterministic = rows.find((row) => row.subset.startsWith('deterministic'));
  const passed = deterministic === undefined || deterministic.max - deterministic.min <= 1;
  return { schema: SIM_VALIDATION_SCHEMA, validation: kind, passed, subsetting: rows, text: `${renderSubsettingRows(rows)}\n\n${SUBSETTING_NOTE}` };
}

/** The HTML renderer when --html asks for it; an empty path is refused before any work. */
export async function loadSimHtmlRenderer(file: string | undefined): Promise<((result: SimResult) => string) | undefined> {
  if (file === undefined) return undefined;
  if (file.trim() === '') throw new LbxError('usage', '--html "": expected the path of the HTML file to write');
  const { renderSimHtml } = await import('./html/render-sim-html.js');
  return renderSimHtml;
}
