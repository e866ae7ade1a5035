export { DEMO_POOLS } from './demo.scenario.js';
export type {
  EntityKind,
  ExpectedTraceFigures,
  ExposureExpectation,
  GroundTruth,
  GroundTruthEntity,
  GroundTruthIncome,
  GroundTruthPayout,
  GroundTruthTag,
  GroundTruthTracePolicy,
  Ratio,
  SuspectFlow,
  SuspectTraceExpectation,
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
