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
import type { Command } from 'commander';
import { apiClientFromEnv } from '../api-client.js';
import { withReadyDb } from './cli-runtime.js';

/**
 * `minetrace tags import|export`: attribution tags in the configured database. Import reads a
 * GraphSense TagPack, an OFAC SDN address list or a CSV; export writes TagPack YAML to stdout.
 * With `MINETRACE_API_URL` set, import uploads the file to that server (`POST /api/v1/tags/import`,
 * an admin key), which imports it exactly as `importTags` does.
 */
export function registerTags(program: Command): void {
  const tags = program.command('tags').description('import and export attribution tags');
  tags
    .command('import')
    .description('import tags from a file; importing the same file again changes nothing')
    .argument('<file>', 'TagPack (.yaml/.yml), OFAC SDN address list (.txt) or CSV (.csv)')
    .option('--format <format>', `${TAG_FORMATS.join(', ')} (default: from the file extension)`)
    .option('--skip-invalid', 'import the valid entries of a file with problems and report the rest')
    .action(async (file: string, options: { format?: string; skipInvalid?: boolean }) => {
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
    });
  tags
    .command('export')
    .description('write tags as GraphSense TagPack YAML to stdout')
    .option('--category <category>', 'only tags of this category (exchange, sanctioned, miner, …)')
    .option('--source <source>', 'only tags from this source')
    .option('--title <title>', 'the TagPack title', 'minetrace tags')
    .action((options: { category?: string; source?: string; title: string }) =>
      withReadyDb(loadConfig(), async (db) => {
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
      }),
    );
}
