import type { DevnetChain } from '../chain/chain.types.js';
import { buildDemo } from './demo.scenario.js';
import type { GroundTruth } from './ground-truth.types.js';
import { ScenarioError } from './scenario.errors.js';

export const SCENARIO_NAMES = ['demo'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioOptions {
  /** Same seed, same chain and ground truth. @defaultValue 'minetrace' */
  seed?: string;
}

/**
 * Builds scenario `name` on `chain` (which must hold only the genesis block) and returns its ground
 * truth. Synchronous: the chain is in-process, nothing waits on I/O.
 */
export function runScenario(
  name: ScenarioName,
  chain: DevnetChain,
  options: ScenarioOptions = {},
): GroundTruth {
  const seed = options.seed ?? 'minetrace';
  switch (name) {
    case 'demo':
      return buildDemo(chain, { seed });
    default:
      throw new ScenarioError(`unknown scenario '${String(name)}'`);
  }
}
