import { checkAddress } from '../chain/address-decoder.js';
import type { Network } from '../chain/types.js';
import { CONFIDENCE_LEVELS, POOLS_TAG_SOURCE, type TagProblem } from './tag.types.js';

const MAX_TEXT = 500;

/**
 * Checks the fields every tag needs, whatever its format, adding a problem at `where(field)` for each
 * bad one. Returns the normalised values, or null when any field was bad.
 */
export function checkTagFields(
  fields: {
    address: unknown;
    label: unknown;
    category: unknown;
    source: unknown;
    confidence: unknown;
  },
  network: Network | null,
  where: (field: string) => string,
  problems: TagProblem[],
): { address: string; label: string; category: string; source: string; confidence: number } | null {
  const before = problems.length;
  const text = (field: string, value: unknown): string => {
    if (value === undefined || value === null || value === '') {
      problems.push({ at: where(field), message: `${field} is required` });
      return '';
    }
    if (typeof value !== 'string') {
      problems.push({ at: where(field), message: `${field} must be text, got ${typeof value}` });
      return '';
    }
    const trimmed = value.trim();
    if (trimmed === '') problems.push({ at: where(field), message: `${field} is required` });
    else if (trimmed.length > MAX_TEXT)
      problems.push({ at: where(field), message: `${field} is longer than ${MAX_TEXT} characters` });
    return trimmed;
  };

  let address = text('address', fields.address);
  if (address !== '') {
    const checked = checkAddress(address, network);
    if (checked.ok) address = checked.address;
    else problems.push({ at: where('address'), message: checked.message });
  }
  const label = text('label', fields.label);
  // Categories are a small vocabulary (exchange, miner, sanctioned, …): one spelling per category.
  const category = text('category', fields.category).toLowerCase();
  const source = text('source', fields.source);
  if (source === POOLS_TAG_SOURCE) {
    problems.push({
      at: where('source'),
      message: `source '${POOLS_TAG_SOURCE}' is reserved for the pools dataset's own tags`,
    });
  }
  const confidence = parseConfidence(fields.confidence, where('confidence'), problems);
  return problems.length === before
    ? { address, label, category, source, confidence: confidence ?? 0 }
    : null;
}

/**
 * A confidence given as a GraphSense level name (`ownership`, `authority_data`, `heuristic`, …) or as
 * a number in 0..1.
 */
export function parseConfidence(value: unknown, at: string, problems: TagProblem[]): number | null {
  if (value === undefined || value === null || value === '') {
    problems.push({ at, message: 'confidence is required' });
    return null;
  }
  if (typeof value === 'string') {
    const named = CONFIDENCE_LEVELS[value.trim().toLowerCase()];
    if (named !== undefined) return named;
    if (/^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(value)) return Number(value);
    problems.push({
      at,
      message: `unknown confidence ${JSON.stringify(value.slice(0, 100))} (a number in 0..1 or one of ${Object.keys(CONFIDENCE_LEVELS).join(', ')})`,
    });
    return null;
  }
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1) return value;
  problems.push({ at, message: `confidence must be a number in 0..1 or a level name, got ${String(value)}` });
  return null;
}

/** An optional text field: undefined/null/'' is null; anything but text is a problem. */
export function optionalText(value: unknown, at: string, problems: TagProblem[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems.push({ at, message: `must be text, got ${typeof value}` });
    return null;
  }
  const trimmed = value.trim();
  if (trimmed.length > MAX_TEXT) problems.push({ at, message: `longer than ${MAX_TEXT} characters` });
  return trimmed === '' ? null : trimmed;
}
