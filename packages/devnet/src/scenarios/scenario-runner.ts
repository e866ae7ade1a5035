import type { DevnetChain } from '../chain/chain.types.js';
import { buildDemo } from './demo.scenario.js';
import type { GroundTruth } from './ground-truth.types.js';
import { buildMainnetLike } from './mainnet-like.scenario.js';
import { ScenarioError } from './scenario.errors.js';

export const SCENARIO_NAMES = ['demo', 'mainnet-like'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioOptions {
  /** Same seed, same chain and ground truth. @defaultValue 'minetrace' */
  seed?: string;
  /** `mainnet-like` only: blocks after its funding prelude. @defaultValue 200 */
  blocks?: number;
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
    case 'mainnet-like':
      return buildMainnetLike(chain, { seed, blocks: options.blocks }).truth;
    default:
      throw new ScenarioError(`unknown scenario '${String(name)}'`);
  }
}
