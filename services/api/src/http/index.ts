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
export { addressLines, SCREEN_BATCH_PATH } from './screen-batch.route.js';
export { TAGS_IMPORT_PATH } from './tags-import.route.js';
export { MAX_UPLOAD_BYTES } from './upload-gate.js';
