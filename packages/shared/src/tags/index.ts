export { parseTagCsv } from './csv-parser.js';
export { OFAC_TAG, parseOfacList } from './ofac-parser.js';
export { describeProblems, TagImportError } from './tag.errors.js';
export {
  type ClusterTagCount,
  indexedNetwork,
  listTags,
  removeTags,
  type StoreTagsResult,
  storeTags,
  type TagView,
  tagCountsOfClusters,
  tagInputOfRow,
  tagsOfAddresses,
} from './tag.repository.js';
export {
  CONFIDENCE_LEVELS,
  type ParsedTags,
  POOLS_TAG_SOURCE,
  TAG_FORMATS,
  type TagFormat,
  type TagInput,
  type TagProblem,
} from './tag.types.js';
export { checkTagFields } from './tag-fields.js';
export {
  formatFromFileName,
  type ImportTagsOptions,
  type ImportTagsResult,
  importTags,
  parseTagFormat,
  parseTags,
} from './tag-import.js';
export { parseTagPack, type TagPackHeader } from './tagpack-parser.js';
export { writeTagPack } from './tagpack-writer.js';
