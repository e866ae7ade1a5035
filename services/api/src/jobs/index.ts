export { type ApiJobHandlerDeps, createApiJobHandlers } from './api-job-handlers.js';
export { createJobResultRoute, JOB_RESULT_PATH } from './job-result.route.js';
export {
  createJobRegistry,
  createJobRunner,
  type JobRegistry,
  type JobRunner,
  type JobRunnerDeps,
  resultDir,
  unavailableHandler,
} from './job-runner.js';
export { createJobService, InvalidJobError, type JobService } from './job-service.js';
export { getJob, getJobResult, type JobModel, listJobs, progressPercent } from './job-store.js';
export {
  createJobSystem,
  type JobSystem,
  type JobSystemConfig,
  type JobSystemDeps,
  type JobTimings,
} from './job-system.js';
export {
  type BullmqTransportOptions,
  createBullmqTransport,
  createInProcessTransport,
  type DeliveryVerdict,
  type JobDelivery,
  type JobTransport,
  QueueUnavailableError,
} from './job-transport.js';
