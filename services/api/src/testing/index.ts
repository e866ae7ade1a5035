/**
 * Test harness shared by the API's and the CLI's integration tests (`@minetrace/api/testing`): never
 * imported by production code.
 */
export { type ApiServerSet, listenApiServers } from './api-servers.js';
export {
  type IndexChainOptions,
  type IndexDemoChainOptions,
  indexChain,
  indexDemoChain,
  suspectTraceRequest,
  suspectTraceSummary,
} from './demo-chain.js';
export { closeTestRedis, connectTestRedis } from './redis.js';
