import { CsvError, parse } from 'csv-parse/sync';
import type { Network } from '../chain/types.js';
import type { ParsedTags, TagInput, TagProblem } from './tag.types.js';
import { checkTagFields, optionalText } from './tag-fields.js';

const REQUIRED = ['address', 'label', 'category', 'source', 'confidence'] as const;
const OPTIONAL = ['actor', 'abuse'] as const;

/**
 * Reads a CSV of tags with the header `address,label,category,source,confidence` (columns in any
 * order; `actor` and `abuse` may be added). `confidence` is a number in 0..1 or a TagPack level name.
 * Each problem is reported at `line N` (the line of the file, header = line 1).
 */
export function parseTagCsv(
  content: string,
  options: { network: Network | null; title?: string },
): ParsedTags {
  const problems: TagProblem[] = [];
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(content, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (err) {
    // A malformed file (an unclosed quote) cannot be split into records past the fault.
    const line = err instanceof CsvError ? (err as CsvError & { lines?: number }).lines : undefined;
    problems.push({ at: `line ${line ?? 1}`, message: `not valid CSV: ${(err as Error).message}` });
    return { tags: [], problems, invalidEntries: 1 };
  }
  const [header, ...rows] = records;
  if (header === undefined) {
    problems.push({ at: 'line 1', message: `empty file (expected the header ${REQUIRED.join(',')})` });
    return { tags: [], problems, invalidEntries: 0 };
  }
  const columns = header.record.map((name) => name.trim().toLowerCase());
  const known = new Set<string>([...REQUIRED, ...OPTIONAL]);
  const headerAt = `line ${header.info.lines}`;
  for (const name of columns) {
    if (!known.has(name)) problems.push({ at: headerAt, message: `unknown column ${JSON.stringify(name)}` });
  }
  for (const name of REQUIRED) {
    if (!columns.includes(name))
      problems.push({ at: headerAt, message: `missing column ${JSON.stringify(name)}` });
  }
  if (new Set(columns).size !== columns.length)
    problems.push({ at: headerAt, message: 'a column is named twice' });
  if (problems.length > 0) return { tags: [], problems, invalidEntries: rows.length };

  const tags: TagInput[] = [];
  let invalidEntries = 0;
  for (const { record, info } of rows) {
    const at = `line ${info.lines}`;
    if (record.length !== columns.length) {
      problems.push({ at, message: `expected ${columns.length} fields, got ${record.length}` });
      invalidEntries += 1;
      continue;
    }
    const row = Object.fromEntries(columns.map((name, i) => [name, record[i]]));
    const before = problems.length;
    const fields = checkTagFields(
      {
        address: row.address,
        label: row.label,
        category: row.category,
        source: row.source,
        confidence: row.confidence,
      },
      options.network,
      (field) => `${at} (${field})`,
      problems,
    );
    const actor = optionalText(row.actor, `${at} (actor)`, problems);
    const abuse = optionalText(row.abuse, `${at} (abuse)`, problems)?.toLowerCase() ?? null;
    if (fields === null || problems.length > before) {
      invalidEntries += 1;
      continue;
    }
    tags.push({ ...fields, actor, abuse, isClusterDefiner: false, tagpack: options.title ?? null });
  }
  return { tags, problems, invalidEntries };
}
