export {
  type ApiServer,
  type ApiServerConfig,
  type ApiServerDeps,
  createApiServer,
  type RouteHandler,
  sendJson,
} from './api-server.js';
export {
  buildHealthReport,
  type HealthReport,
  type NodeStatus,
  type NodeStatusProvider,
} from './health.route.js';
