// The work of `minetrace tags import|export`, loaded only when one runs (see tags.command.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TAGS_IMPORT_PATH } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { loadConfig } from '@minetrace/shared/config';
import {
  describeProblems,
  formatFromFileName,
  type ImportTagsResult,
  importTags,
  listTags,
  parseTagFormat,
  TAG_FORMATS,
  tagInputOfRow,
  writeTagPack,
} from '@minetrace/shared/tags';
import { apiClientFromEnv } from '../api-client.js';
import { withReadyDb } from './cli-runtime.js';

/** `minetrace tags import`: imports a tag file here, or uploads it to the server. */
export async function tagsImportAction(
  file: string,
  options: { format?: string; skipInvalid?: boolean },
): Promise<void> {
  const format = options.format === undefined ? formatFromFileName(file) : parseTagFormat(options.format);
  if (format === undefined) {
    throw new NonRetryableError(
      `cannot tell the format of '${path.basename(file)}' from its extension; pass --format ${TAG_FORMATS.join('|')}`,
    );
  }
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    throw new NonRetryableError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const skipInvalid = options.skipInvalid === true;
  const client = apiClientFromEnv();
  const result =
    client === null
      ? await withReadyDb(loadConfig(), (db) =>
          importTags(db, { format, content, skipInvalid, createdBy: 'cli' }),
        )
      : await client.upload<ImportTagsResult>(
          'the tag import',
          TAGS_IMPORT_PATH,
          { format, skipInvalid: String(skipInvalid) },
          content,
        );
  if (result.skipped > 0) {
    process.stderr.write(
      `minetrace: skipped ${result.skipped} invalid entr${result.skipped === 1 ? 'y' : 'ies'}:\n${describeProblems(result.problems)}\n`,
    );
  }
  process.stdout.write(
    `minetrace: read ${result.read} tags from ${path.basename(file)} (${format}): ` +
      `${result.inserted} new, ${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped} skipped\n`,
  );
}

/** `minetrace tags export`: the tags as TagPack YAML on stdout. */
export async function tagsExportAction(options: {
  category?: string;
  source?: string;
  title: string;
}): Promise<void> {
  await withReadyDb(loadConfig(), async (db) => {
    const rows = await listTags(db, { category: options.category, source: options.source });
    const title = options.title.trim();
    if (title === '') throw new NonRetryableError('--title must not be empty');
    process.stdout.write(
      writeTagPack(
        {
          title,
          creator: 'minetrace',
          isPublic: false,
          description: options.category === undefined ? null : `tags of category ${options.category}`,
        },
        rows.map(tagInputOfRow),
      ),
    );
  });
}
