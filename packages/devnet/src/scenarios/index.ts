export { DEMO_POOLS } from './demo.scenario.js';
export type {
  EntityKind,
  GroundTruth,
  GroundTruthEntity,
  GroundTruthIncome,
  GroundTruthPayout,
  SuspectFlow,
} from './ground-truth.types.js';
export { groundTruthToJson } from './ground-truth.types.js';
export {
  buildMainnetLike,
  createMainnetLikeGenerator,
  type MainnetLikeGenerator,
  type MainnetLikeOptions,
  type MainnetLikeScriptKind,
  type MainnetLikeStats,
} from './mainnet-like.scenario.js';
export { ScenarioError } from './scenario.errors.js';
export { runScenario, SCENARIO_NAMES, type ScenarioName, type ScenarioOptions } from './scenario-runner.js';
