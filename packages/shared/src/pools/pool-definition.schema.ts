import { z } from 'zod';

/**
 * One pool in the mining-pools dataset's format (the files under
 * `data/mining-pools/pools/*.json`). Unknown keys are ignored so files from newer dataset
 * versions still load; a misspelt required key shows up as that key missing.
 */
export const poolDefinitionSchema = z.object({
  id: z.number().int('expected an integer').nonnegative('expected a non-negative integer'),
  name: z.string().trim().min(1, 'must not be empty'),
  // A blank tag would be found in every coinbase: refuse it rather than attribute everything.
  tags: z.array(z.string().refine((tag) => tag.trim().length > 0, 'must not be blank')),
  addresses: z.array(z.string().regex(/^\S+$/, 'must be a non-empty address without spaces')),
  // Some dataset entries have an empty link and investigators often have none: optional.
  link: z.string().default(''),
});

/** A validated definition, before the slug and source are assigned. */
export type PoolDefinition = z.infer<typeof poolDefinitionSchema>;

/** Short messages naming what was expected: the field path is printed beside them. */
export const poolIssueMessages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
  }
  return undefined;
};

/** `[2].addresses[0]` for the zod path `[2, 'addresses', 0]`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
