import { checkAddress } from '@minetrace/shared/chain';
import {
  checkTagFields,
  type ImportTagsResult,
  importTags,
  removeTags,
  storeTags,
  type TagFormat as TagFileFormat,
  TagImportError,
  type TagProblem,
} from '@minetrace/shared/tags';
import type { ApiContext } from './api-context.js';
import { badInput } from './errors.js';
import type { MutationResolvers, TagFormat } from './resolvers.generated.js';

/** Most addresses one `tagAddresses` or `removeTags` call may name. */
export const MAX_TAG_ADDRESSES = 1000;
/** Most problems an error's `extensions.problems` lists (the message says how many there were). */
const MAX_REPORTED_PROBLEMS = 100;

const FORMAT_IN: Record<TagFormat, TagFileFormat> = { TAGPACK: 'tagpack', OFAC: 'ofac', CSV: 'csv' };

/**
 * The source of manual tags: the calling key's name, so every investigator's claims stay
 * attributable (and removable) as theirs. The open localhost mode has no key.
 */
function callerSource(ctx: ApiContext): string {
  return ctx.principal.kind === 'key' ? ctx.principal.name : 'localhost';
}

function problemsError(message: string, problems: TagProblem[]) {
  return badInput(message, { problems: problems.slice(0, MAX_REPORTED_PROBLEMS) });
}

async function checkAddresses(addresses: readonly string[], ctx: ApiContext): Promise<string[]> {
  if (addresses.length === 0) throw badInput('addresses must name at least one address');
  if (addresses.length > MAX_TAG_ADDRESSES) {
    throw badInput(`at most ${MAX_TAG_ADDRESSES} addresses at a time, got ${addresses.length}`);
  }
  const network = await ctx.network();
  const problems: TagProblem[] = [];
  const checked = addresses.map((address, i) => {
    const result = checkAddress(address, network);
    if (result.ok) return result.address;
    problems.push({ at: `addresses[${i}]`, message: result.message });
    return address;
  });
  if (problems.length > 0)
    throw problemsError(`${problems.length} invalid address(es); nothing tagged`, problems);
  return checked;
}

/**
 * Imports a tag file for the caller (`importTags`, and `POST /api/v1/tags/import` for files above
 * GraphQL's body limit): the caller's name is `created_by`; a file with problems imports nothing
 * and is refused with BAD_USER_INPUT listing them in `extensions.problems`.
 */
export async function importTagFile(
  ctx: ApiContext,
  file: { format: TagFileFormat; content: string; skipInvalid: boolean },
): Promise<ImportTagsResult> {
  try {
    const result = await importTags(ctx.db, { ...file, createdBy: callerSource(ctx) });
    return { ...result, problems: result.problems.slice(0, MAX_REPORTED_PROBLEMS) };
  } catch (err) {
    if (err instanceof TagImportError) {
      throw problemsError(
        `${err.problems.length} problem(s) in the ${file.format} file, nothing imported`,
        err.problems,
      );
    }
    throw err;
  }
}

/** Manual tags (investigator and admin roles) and file imports (admin role, see the operation guard). */
export const tagMutationResolvers: Pick<MutationResolvers, 'tagAddresses' | 'removeTags' | 'importTags'> = {
  tagAddresses: async (_root, args, ctx) => {
    const addresses = await checkAddresses(args.addresses, ctx);
    const source = callerSource(ctx);
    const problems: TagProblem[] = [];
    const fields = checkTagFields(
      {
        address: addresses[0],
        label: args.label,
        category: args.category,
        source,
        confidence: args.confidence,
      },
      null,
      (field) => field,
      problems,
    );
    if (fields === null)
      throw problemsError(problems.map((p) => `${p.at}: ${p.message}`).join('; '), problems);
    const tags = addresses.map((address) => ({ ...fields, address, tagpack: null }));
    const stored = await storeTags(ctx.db, tags, source);
    return { ...stored, read: tags.length, skipped: 0, problems: [] };
  },
  removeTags: async (_root, args, ctx) => {
    const addresses = await checkAddresses(args.addresses, ctx);
    return removeTags(ctx.db, {
      addresses,
      source: callerSource(ctx),
      label: args.label ?? undefined,
    });
  },
  importTags: (_root, args, ctx) =>
    importTagFile(ctx, {
      format: FORMAT_IN[args.format],
      content: args.content,
      skipInvalid: args.skipInvalid === true,
    }),
};
