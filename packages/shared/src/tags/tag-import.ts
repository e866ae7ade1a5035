import type { Network } from '../chain/types.js';
import type { Db } from '../db/db.js';
import { parseTagCsv } from './csv-parser.js';
import { parseOfacList } from './ofac-parser.js';
import { describeProblems, TagImportError } from './tag.errors.js';
import { indexedNetwork, type StoreTagsResult, storeTags } from './tag.repository.js';
import { type ParsedTags, TAG_FORMATS, type TagFormat, type TagProblem } from './tag.types.js';
import { parseTagPack } from './tagpack-parser.js';

/** Parses a tag file of `format` against `network` (null: any network's addresses). */
export function parseTags(format: TagFormat, content: string, network: Network | null): ParsedTags {
  switch (format) {
    case 'tagpack':
      return parseTagPack(content, { network });
    case 'ofac':
      return parseOfacList(content, { network });
    case 'csv':
      return parseTagCsv(content, { network });
  }
}

/**
 * The format a file name implies: `.yaml`/`.yml` TagPack, `.csv` CSV, `.txt` an OFAC address list;
 * undefined when the extension says nothing.
 */
export function formatFromFileName(fileName: string): TagFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'tagpack';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.txt')) return 'ofac';
  return undefined;
}

/** Checks a format name given by a user. */
export function parseTagFormat(value: string): TagFormat {
  const format = value.toLowerCase() as TagFormat;
  if (!TAG_FORMATS.includes(format)) {
    throw new TagImportError(`unknown tag format '${value}' (expected ${TAG_FORMATS.join(', ')})`, []);
  }
  return format;
}

export interface ImportTagsOptions {
  format: TagFormat;
  content: string;
  /** Import the valid entries of a file with problems, and count the rest as skipped. @defaultValue false */
  skipInvalid?: boolean;
  /** Who imports (an API key's name, `cli`); kept on inserted rows. */
  createdBy: string | null;
}

export interface ImportTagsResult extends StoreTagsResult {
  /** Valid tags read from the file. */
  read: number;
  /** Invalid entries left out (only with `skipInvalid`). */
  skipped: number;
  /** What was wrong with the skipped entries. */
  problems: TagProblem[];
}

/**
 * Imports a tag file: parses it against the indexed network (chain_state.network; any network's
 * addresses before the first block) and stores its tags (see `storeTags`: importing twice adds
 * nothing). A file with any problem imports nothing and throws `TagImportError` listing them all,
 * unless `skipInvalid`, which imports the valid entries and reports how many were skipped.
 */
export async function importTags(db: Db, options: ImportTagsOptions): Promise<ImportTagsResult> {
  const network = await indexedNetwork(db);
  const parsed = parseTags(options.format, options.content, network);
  if (parsed.problems.length > 0 && !options.skipInvalid) {
    throw new TagImportError(
      `${parsed.problems.length} problem(s) in the ${options.format} file, nothing imported:\n${describeProblems(parsed.problems)}`,
      parsed.problems,
    );
  }
  const stored = await storeTags(db, parsed.tags, options.createdBy);
  return { ...stored, read: parsed.tags.length, skipped: parsed.invalidEntries, problems: parsed.problems };
}
