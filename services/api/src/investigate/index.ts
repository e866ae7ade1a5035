export * from './screen/index.js';
export {
  findPaths,
  PATH_LIMITS,
  type PathLink,
  type PathsRequest,
  type PathsResult,
  pathsToFlowGraph,
  type SpendPath,
} from './trace/find-paths.js';
export {
  RANGE_POLICIES,
  type Range,
  type Ranges,
  type SplitInput,
  splitTaint,
  type TaintSplit,
} from './trace/policies.js';
export { runTrace, TRACE_LIMITS, TraceInputError, validateTraceRequest } from './trace/run-trace.js';
export type {
  FlowGraph,
  PoisonedFigures,
  TraceDirection,
  TraceEdge,
  TraceFrom,
  TraceNode,
  TraceNodeKind,
  TracePolicy,
  TraceRequest,
  TraceResult,
  TraceSummary,
  TraceTag,
} from './trace.types.js';
