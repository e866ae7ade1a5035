import { NonRetryableError } from '../errors.js';
import type { TagProblem } from './tag.types.js';

/** A tag file (or a manual tag) has problems; nothing was imported. `problems` says where and what. */
export class TagImportError extends NonRetryableError {
  override name = 'TagImportError';
  constructor(
    message: string,
    readonly problems: TagProblem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Lists at most `max` problems, one a line, for an error message. */
export function describeProblems(problems: TagProblem[], max = 20): string {
  const lines = problems.slice(0, max).map((p) => `${p.at}: ${p.message}`);
  if (problems.length > max) lines.push(`… and ${problems.length - max} more`);
  return lines.join('\n');
}
