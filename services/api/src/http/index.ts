export {
  type ApiServer,
  type ApiServerDeps,
  createApiServer,
  type RouteHandler,
  sendJson,
} from './api-server.js';
export { buildHealthReport, type HealthReport, type NodeStatusProvider } from './health.route.js';
