import { checkAddress } from '../chain/address-decoder.js';
import type { Network } from '../chain/types.js';
import type { ParsedTags, TagInput, TagProblem } from './tag.types.js';

/** Label, source and list title of tags read from the OFAC SDN list of Bitcoin (XBT) addresses. */
export const OFAC_TAG = {
  label: 'OFAC SDN',
  category: 'sanctioned',
  source: 'US Treasury OFAC SDN list',
  tagpack: 'OFAC SDN list (XBT)',
  // The list is the sanction itself: an address on it is sanctioned by definition, whatever its owner.
  confidence: 1,
} as const;

/**
 * Reads an OFAC SDN address list (one address a line, as published by
 * 0xB10C/ofac-sanctioned-digital-currency-addresses). Blank lines and `#` comments are ignored;
 * every other line must be one address of `network`, or it is a problem at `line N`.
 */
export function parseOfacList(content: string, options: { network: Network | null }): ParsedTags {
  const tags: TagInput[] = [];
  const problems: TagProblem[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const at = `line ${i + 1}`;
    if (/\s/.test(text)) {
      problems.push({ at, message: `expected one address, got ${JSON.stringify(text.slice(0, 100))}` });
      return;
    }
    const checked = checkAddress(text, options.network);
    if (!checked.ok) {
      problems.push({ at, message: checked.message });
      return;
    }
    tags.push({ address: checked.address, ...OFAC_TAG });
  });
  return { tags, problems, invalidEntries: problems.length };
}
