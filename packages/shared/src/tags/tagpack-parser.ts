import { isMap, LineCounter, parseDocument } from 'yaml';
import type { Network } from '../chain/types.js';
import type { ParsedTags, TagInput, TagProblem } from './tag.types.js';
import { checkTagFields, optionalText } from './tag-fields.js';

/** Header fields that are the pack's own, not tag defaults. */
const HEADER_ONLY = new Set(['title', 'creator', 'description', 'is_public', 'tags']);
/** Fields a tag may carry, or inherit from the header. */
const TAG_FIELDS = new Set([
  'address',
  'label',
  'source',
  'currency',
  'network',
  'category',
  'abuse',
  'concepts',
  'actor',
  'confidence',
  'is_cluster_definer',
  'context',
  'lastmod',
]);

/** The header of a GraphSense TagPack, as read (and as `writeTagPack` writes it). */
export interface TagPackHeader {
  title: string;
  creator: string;
  isPublic: boolean;
  description: string | null;
}

/**
 * Reads a GraphSense TagPack: a YAML mapping with `title`, `creator`, optional `is_public` and
 * `description`, default tag fields at the top level, and a `tags` list. Each tag inherits the
 * defaults it does not set. Only Bitcoin tags are read (`currency`/`network` BTC when given), and
 * addresses must belong to `network`. `confidence` is a level name (`ownership`, `authority_data`,
 * `heuristic`, … mapped to 0..1) or a number in 0..1. `category` falls back to the first of
 * `concepts`. Problems are reported by YAML path (`tags[3].address`), or by line for YAML syntax.
 */
export function parseTagPack(
  content: string,
  options: { network: Network | null },
): ParsedTags & { header: TagPackHeader | null } {
  const problems: TagProblem[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const pos = lineCounter.linePos(error.pos[0]);
      problems.push({ at: `line ${pos.line}`, message: `not valid YAML: ${error.message.split('\n')[0]}` });
    }
    return { tags: [], problems, invalidEntries: 0, header: null };
  }
  if (!isMap(doc.contents)) {
    problems.push({ at: '(root)', message: 'a TagPack is a YAML mapping with a title, a creator and tags' });
    return { tags: [], problems, invalidEntries: 0, header: null };
  }
  const root = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;

  const headerProblems: TagProblem[] = [];
  const title = requiredText(root.title, 'title', headerProblems);
  const creator = requiredText(root.creator, 'creator', headerProblems);
  const description = optionalText(root.description, 'description', headerProblems);
  let isPublic = false;
  if (root.is_public !== undefined) {
    if (typeof root.is_public === 'boolean') isPublic = root.is_public;
    else headerProblems.push({ at: 'is_public', message: 'must be true or false' });
  }
  const defaults: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(root)) {
    if (HEADER_ONLY.has(key)) continue;
    if (TAG_FIELDS.has(key) && key !== 'address') defaults[key] = value;
    else headerProblems.push({ at: key, message: `unknown header field ${JSON.stringify(key)}` });
  }
  const rawTags = root.tags;
  if (!Array.isArray(rawTags)) {
    headerProblems.push({
      at: 'tags',
      message: rawTags === undefined ? 'tags is required' : 'tags must be a list',
    });
  }
  const tagList = Array.isArray(rawTags) ? (rawTags as unknown[]) : [];
  if (headerProblems.length > 0) {
    // Every tag depends on the header (its defaults, its pack's title): none can be trusted.
    return { tags: [], problems: headerProblems, invalidEntries: tagList.length, header: null };
  }
  const header: TagPackHeader = { title, creator, isPublic, description };

  const tags: TagInput[] = [];
  let invalidEntries = 0;
  tagList.forEach((raw, i) => {
    const path = `tags[${i}]`;
    const before = problems.length;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ at: path, message: 'a tag is a mapping with at least an address' });
      invalidEntries += 1;
      return;
    }
    const own = raw as Record<string, unknown>;
    for (const key of Object.keys(own)) {
      if (!TAG_FIELDS.has(key))
        problems.push({ at: `${path}.${key}`, message: `unknown tag field ${JSON.stringify(key)}` });
    }
    const tag = { ...defaults, ...own };
    // Where a value came from: the tag itself, or the header default it inherited.
    const where = (field: string) => (field in own || !(field in defaults) ? `${path}.${field}` : field);

    for (const field of ['currency', 'network'] as const) {
      const value = tag[field];
      if (value !== undefined && (typeof value !== 'string' || value.trim().toUpperCase() !== 'BTC')) {
        problems.push({
          at: where(field),
          message: `only Bitcoin tags can be imported (${field} ${JSON.stringify(value)})`,
        });
      }
    }
    let category = tag.category;
    if (
      (category === undefined || category === null) &&
      Array.isArray(tag.concepts) &&
      typeof tag.concepts[0] === 'string'
    ) {
      category = tag.concepts[0];
    }
    if (
      tag.concepts !== undefined &&
      !(Array.isArray(tag.concepts) && tag.concepts.every((c) => typeof c === 'string'))
    ) {
      problems.push({ at: where('concepts'), message: 'concepts must be a list of text' });
    }
    const fields = checkTagFields(
      { address: tag.address, label: tag.label, category, source: tag.source, confidence: tag.confidence },
      options.network,
      where,
      problems,
    );
    const actor = optionalText(tag.actor, where('actor'), problems);
    const abuse = optionalText(tag.abuse, where('abuse'), problems)?.toLowerCase() ?? null;
    let isClusterDefiner = false;
    if (tag.is_cluster_definer !== undefined) {
      if (typeof tag.is_cluster_definer === 'boolean') isClusterDefiner = tag.is_cluster_definer;
      else problems.push({ at: where('is_cluster_definer'), message: 'must be true or false' });
    }
    if (fields === null || problems.length > before) {
      invalidEntries += 1;
      return;
    }
    tags.push({ ...fields, actor, abuse, isClusterDefiner, tagpack: title });
  });
  // A bad header default is inherited by many tags: report it once.
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.at}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { tags, problems: unique, invalidEntries, header };
}

function requiredText(value: unknown, at: string, problems: TagProblem[]): string {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  problems.push({ at, message: value === undefined ? `${at} is required` : `${at} must be non-empty text` });
  return '';
}
