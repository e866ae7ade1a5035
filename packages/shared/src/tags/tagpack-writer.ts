import { stringify } from 'yaml';
import type { TagInput } from './tag.types.js';
import type { TagPackHeader } from './tagpack-parser.js';

/**
 * Writes tags as one GraphSense TagPack. Every tag carries its own label, source, category and
 * numeric confidence (no header defaults), so reading the pack back gives the same tags whatever
 * packs they first came from; only the pack title (the `tagpack` column) becomes this pack's.
 */
export function writeTagPack(header: TagPackHeader, tags: readonly TagInput[]): string {
  const doc: Record<string, unknown> = {
    title: header.title,
    creator: header.creator,
    ...(header.description === null ? {} : { description: header.description }),
    is_public: header.isPublic,
    currency: 'BTC',
    tags: tags.map((tag) => ({
      address: tag.address,
      label: tag.label,
      category: tag.category,
      source: tag.source,
      confidence: tag.confidence,
      ...(tag.actor ? { actor: tag.actor } : {}),
      ...(tag.abuse ? { abuse: tag.abuse } : {}),
      ...(tag.isClusterDefiner ? { is_cluster_definer: true } : {}),
    })),
  };
  return stringify(doc, { lineWidth: 0 });
}
