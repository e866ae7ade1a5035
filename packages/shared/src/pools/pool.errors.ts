import { NonRetryableError } from '../errors.js';

/**
 * A pool definition file that cannot be used: unreadable, not JSON, a field of the wrong shape,
 * or a definition contradicting another (same address or tag in two pools, a slug taken).
 * The message starts with the file and the field path, e.g. `pools.json: [2].addresses[0]: expected string`.
 */
export class PoolDefinitionError extends NonRetryableError {
  override name = 'PoolDefinitionError';
  /** The file as given (or `'dataset'` for a definition built in memory). */
  readonly file: string;
  /** Field path inside the file (`[2].addresses[0]`, `tags[1]`), or null when the whole file is at fault. */
  readonly field: string | null;

  constructor(file: string, field: string | null, problem: string, options?: { cause?: unknown }) {
    super(field === null ? `${file}: ${problem}` : `${file}: ${field}: ${problem}`, options);
    this.file = file;
    this.field = field;
  }
}
