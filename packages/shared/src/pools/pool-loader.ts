import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PoolDefinitionError } from './pool.errors.js';
import type { Pool, PoolSet } from './pool.types.js';
import {
  formatFieldPath,
  type PoolDefinition,
  poolDefinitionSchema,
  poolIssueMessages,
} from './pool-definition.schema.js';
import { buildPoolSet, type PoolOrigin, slugify } from './pool-set.js';

/** The vendored dataset, found beside this module so any working directory works. */
const DATASET_DIR = fileURLToPath(new URL('../../data/mining-pools/pools/', import.meta.url));

/** `source` of every definition that comes from the vendored dataset. */
export const DATASET_SOURCE = 'dataset';

export interface LoadPoolsOptions {
  /**
   * Extra definition files in the dataset's format, applied in order after the dataset: each
   * pool is added, or replaces the pool with the same `id` (a later file wins over an earlier one).
   * Relative paths resolve against the working directory. @defaultValue `[]`
   */
  extraFiles?: readonly string[];
}

/**
 * Splits `MINETRACE_POOLS` into file paths. The list is comma-separated (as everywhere in
 * minetrace's configuration, and unambiguous on Windows where `:` appears in paths); blanks
 * around entries and empty entries are dropped. Unset or blank → `[]`.
 */
export function parseMinetracePools(envValue: string | undefined): string[] {
  if (envValue === undefined) return [];
  return envValue
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Loads the vendored mining-pools dataset plus `extraFiles`.
 *
 * Slugs: a dataset pool's slug is its file name without `.json`. A new pool from an extra file
 * holding one pool object takes the file's name the same way; new pools from an extra file holding
 * an array take a slug derived from their name (`pool-<id>` when the name has no Latin letters).
 * A definition replacing a pool keeps that pool's slug, so `f2pool` stays `f2pool` when corrected.
 *
 * Throws `PoolDefinitionError` naming the file and field for an unreadable file, invalid JSON,
 * a missing or mistyped field, a repeated id within one file, or an address, tag or slug that
 * another pool already has.
 */
export function loadPools(options: LoadPoolsOptions = {}): PoolSet {
  const byId = new Map<number, { pool: Pool; origin: PoolOrigin }>();

  const datasetFiles = readdirSync(DATASET_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort();
  for (const name of datasetFiles) {
    for (const entry of readPoolFile(join(DATASET_DIR, name), `mining-pools/pools/${name}`, DATASET_SOURCE)) {
      const earlier = byId.get(entry.pool.id);
      if (earlier) {
        throw new PoolDefinitionError(
          entry.origin.file,
          'id',
          `id ${entry.pool.id} is also used by ${earlier.origin.file}`,
        );
      }
      byId.set(entry.pool.id, entry);
    }
  }

  for (const file of options.extraFiles ?? []) {
    for (const entry of readPoolFile(file, file, file)) {
      // An override keeps the slug it replaces: slugs are how people and URLs name a pool.
      const replaced = byId.get(entry.pool.id);
      if (replaced) entry.pool.slug = replaced.pool.slug;
      byId.set(entry.pool.id, entry);
    }
  }

  return buildPoolSet([...byId.values()]);
}

/** Reads and validates one file; `label` names it in errors, `source` goes into each pool. */
function readPoolFile(path: string, label: string, source: string): { pool: Pool; origin: PoolOrigin }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new PoolDefinitionError(label, null, `cannot read the file (${reason})`, { cause });
  }
  let json: unknown;
  try {
    // Editors on Windows like to start files with a byte-order mark, which JSON.parse refuses.
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (cause) {
    throw new PoolDefinitionError(label, null, `invalid JSON: ${(cause as Error).message}`, { cause });
  }

  if (Array.isArray(json)) {
    const definitions = parseDefinitions(json, label);
    const seen = new Map<number, number>();
    return definitions.map((definition, i) => {
      const first = seen.get(definition.id);
      if (first !== undefined) {
        throw new PoolDefinitionError(label, `[${i}].id`, `id ${definition.id} is also used by [${first}]`);
      }
      seen.set(definition.id, i);
      const slug = slugify(definition.name) || `pool-${definition.id}`;
      return { pool: { ...definition, slug, source }, origin: { file: label, at: `[${i}]` } };
    });
  }
  if (json === null || typeof json !== 'object') {
    throw new PoolDefinitionError(label, null, 'expected a pool object or an array of pool objects');
  }
  const [definition] = parseDefinitions([json], label, true);
  const slug = slugify(basename(path).replace(/\.json$/i, '')) || `pool-${definition!.id}`;
  return [{ pool: { ...definition!, slug, source }, origin: { file: label, at: '' } }];
}

function parseDefinitions(items: unknown[], label: string, single = false): PoolDefinition[] {
  const result = poolDefinitionSchema.array().safeParse(items, { error: poolIssueMessages });
  if (result.success) return result.data;
  const [issue, ...more] = result.error.issues;
  // A single-pool file is parsed as a one-element array; its paths start inside the object.
  const path = single ? issue!.path.slice(1) : issue!.path;
  const problem = more.length > 0 ? `${issue!.message} (and ${more.length} more)` : issue!.message;
  throw new PoolDefinitionError(label, formatFieldPath(path) || null, problem, { cause: result.error });
}
