import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Db } from '@minetrace/shared/db';
import type { Authenticator } from '../auth/authenticator.js';
import { mayAccessJob } from '../graphql/jobs.resolvers.js';
import { resultDir } from './job-runner.js';
import { getJob, getJobResult, toJsonText } from './job-store.js';

/** `/jobs/{id}/result`. */
export const JOB_RESULT_PATH = /^\/jobs\/(\d{1,18})\/result$/;

export interface JobResultRouteDeps {
  db: Db;
  authenticator: Authenticator;
  /** `MINETRACE_DATA_DIR`. */
  dataDir: string;
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(toJsonText(body));
}

/**
 * `GET /jobs/{id}/result`: a completed job's result, with the same key auth as GraphQL: the file
 * of an export (as an attachment), or the JSON result. 404 for a job the key may not see, one not
 * completed, or one whose result expired.
 */
export function createJobResultRoute(deps: JobResultRouteDeps) {
  const dir = resultDir(deps.dataDir);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const match = JOB_RESULT_PATH.exec(url.pathname);
    if (match === null) return false;
    const auth = await deps.authenticator.authenticate(req.headers.authorization, req.socket.remoteAddress);
    if (!auth.ok) {
      reply(res, 401, { error: auth.message }, { 'www-authenticate': 'Bearer' });
      return true;
    }
    const id = BigInt(match[1]!);
    const job = await getJob(deps.db, id);
    if (job === undefined || !mayAccessJob(auth.principal, job)) {
      reply(res, 404, { error: `no job ${id}` });
      return true;
    }
    if (job.state !== 'completed') {
      reply(res, 404, { error: `job ${id} is ${job.state}; it has no result` });
      return true;
    }
    const result = await getJobResult(deps.db, id);
    if (result === undefined) {
      reply(res, 404, { error: `the result of job ${id} expired` });
      return true;
    }
    if (result.file_name === null) {
      reply(res, 200, result.data);
      return true;
    }
    const file = path.join(dir, path.basename(result.file_name));
    const stream = createReadStream(file);
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      });
    } catch {
      reply(res, 404, { error: `the result file of job ${id} is gone` });
      return true;
    }
    const extension = path.extname(result.file_name);
    res.writeHead(200, {
      'content-type': result.content_type ?? 'application/octet-stream',
      ...(result.bytes === null ? {} : { 'content-length': String(result.bytes) }),
      'content-disposition': `attachment; filename="job-${id}-${job.kind.replace(/[^a-z0-9]+/gi, '-')}${extension}"`,
    });
    await pipeline(stream, res);
    return true;
  };
}
