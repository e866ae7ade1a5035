import { NonRetryableError } from '@minetrace/shared';

/** A scenario cannot run (wrong starting chain, unknown name, funds it expected are missing). */
export class ScenarioError extends NonRetryableError {
  override name = 'ScenarioError';
}
