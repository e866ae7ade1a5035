import { TAG_FORMATS, type TagFormat } from '@minetrace/shared/tags';
import { badInput } from '../graphql/errors.js';
import { importTagFile } from '../graphql/tags.resolvers.js';
import type { UploadSpec } from './upload-gate.js';

/** `POST /api/v1/tags/import?format=tagpack|ofac|csv&skipInvalid=true|false`, the tag file as the body. */
export const TAGS_IMPORT_PATH = '/api/v1/tags/import';

/** `true` or `false` (absent: `fallback`); anything else is BAD_USER_INPUT. */
export function booleanParam(url: URL, name: string, fallback: boolean): boolean {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw badInput(`${name} must be true or false, got ${JSON.stringify(value.slice(0, 50))}`);
}

/**
 * The `importTags` mutation for files above GraphQL's body limit (admin role): the same import, the
 * same answer (`TagWriteResult` as JSON), and the same refusal of a file with problems (nothing
 * imported, BAD_USER_INPUT with `problems`).
 */
export const tagsImportUpload: UploadSpec<{ format: TagFormat; skipInvalid: boolean }> = {
  operation: 'importTags',
  params(url) {
    const format = url.searchParams.get('format');
    if (format === null) throw badInput(`the format parameter is required: ?format=${TAG_FORMATS.join('|')}`);
    if (!(TAG_FORMATS as readonly string[]).includes(format.toLowerCase())) {
      throw badInput(
        `format must be one of ${TAG_FORMATS.join(', ')}, got ${JSON.stringify(format.slice(0, 50))}`,
      );
    }
    return {
      format: format.toLowerCase() as TagFormat,
      skipInvalid: booleanParam(url, 'skipInvalid', false),
    };
  },
  async run({ ctx, text, params }) {
    const result = await importTagFile(ctx, { ...params, content: text });
    return { status: 200, body: result };
  },
};
