/** The file formats `importTags` reads. */
export type TagFormat = 'tagpack' | 'ofac' | 'csv';

export const TAG_FORMATS: readonly TagFormat[] = ['tagpack', 'ofac', 'csv'];

/** Source of the pool payout address tags, kept by a trigger from the pools dataset; no import may use it. */
export const POOLS_TAG_SOURCE = 'mining-pools dataset';

/** One attribution tag as parsed from a file or given by an investigator, before it is stored. */
export interface TagInput {
  /** Address in the form the indexer stores (segwit lowercased). */
  address: string;
  label: string;
  category: string;
  source: string;
  /** 0..1. */
  confidence: number;
  actor?: string | null;
  abuse?: string | null;
  isClusterDefiner?: boolean;
  /** Title of the TagPack or list; null for manual tags. */
  tagpack?: string | null;
}

/**
 * One problem found in a file: `at` is where (`line 4` for CSV and OFAC lists, the YAML path such as
 * `tags[3].address` for TagPacks) and `message` what is wrong.
 */
export interface TagProblem {
  at: string;
  message: string;
}

/** What a parser found: the valid tags, and a problem per invalid entry (one entry may have several). */
export interface ParsedTags {
  tags: TagInput[];
  problems: TagProblem[];
  /** Entries (lines, TagPack tags) left out because of a problem. */
  invalidEntries: number;
}

/**
 * GraphSense TagPack confidence levels (graphsense-tagpack-tool `confidence.csv`, level/100), so a
 * TagPack's named level and a number from a CSV land on the same 0..1 scale.
 */
export const CONFIDENCE_LEVELS: Readonly<Record<string, number>> = {
  override: 1,
  ownership: 1,
  manual_transaction: 0.9,
  service_api: 0.7,
  authority_data: 0.6,
  trusted_provider: 0.5,
  service_data: 0.5,
  forensic: 0.5,
  untrusted_transaction: 0.4,
  web_crawl: 0.2,
  heuristic: 0.1,
  unknown: 0.05,
};
