import type { TagFormat } from '@minetrace/shared/tags';
import type { Command } from 'commander';

/**
 * The tag formats, in the order `TAG_FORMATS` of `@minetrace/shared/tags` lists them, spelled out so
 * that `--help` does not load the tag parsers; as a record of every `TagFormat`, a missing or
 * unknown format fails to compile.
 */
const FORMATS: Record<TagFormat, true> = { tagpack: true, ofac: true, csv: true };
const TAG_FORMATS = Object.keys(FORMATS);

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
      const { tagsImportAction } = await import('./tags.action.js');
      await tagsImportAction(file, options);
    });
  tags
    .command('export')
    .description('write tags as GraphSense TagPack YAML to stdout')
    .option('--category <category>', 'only tags of this category (exchange, sanctioned, miner, …)')
    .option('--source <source>', 'only tags from this source')
    .option('--title <title>', 'the TagPack title', 'minetrace tags')
    .action(async (options: { category?: string; source?: string; title: string }) => {
      const { tagsExportAction } = await import('./tags.action.js');
      await tagsExportAction(options);
    });
}
