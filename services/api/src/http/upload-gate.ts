import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RetryableError } from '@minetrace/shared';
import type { Db } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import { GraphQLError } from 'graphql';
import type { Authenticator } from '../auth/authenticator.js';
import { type ApiContext, createApiContext } from '../graphql/api-context.js';
import type { AuditWriter } from '../graphql/audit-writer.js';
import { ERROR_CODES, type ErrorCode } from '../graphql/errors.js';
import { checkOperation, type GuardLimits } from '../graphql/operation-guard.js';
import type { ScreenSettings } from '../investigate/screen/index.js';
import type { JobService } from '../jobs/job-service.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { type BodyRefusal, readBodyWithin } from './body-reader.js';

/**
 * Largest upload body: a 1,000,000-address screening batch (up to 63 bytes a line) or a large tag
 * file. GraphQL's own limit (256 KiB) stays small; files go through the upload routes.
 */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/** The HTTP status of each error code an upload route answers with. */
const STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  COST_LIMIT: 400,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  // Raised on purpose only for what passes (no job queue in this process): retry later.
  INTERNAL_SERVER_ERROR: 503,
};

/** Body types an upload takes: text, as a file is (curl's `--data-binary` with `-H 'content-type: text/plain'`). */
const TEXT_TYPES = new Set(['text/plain', 'application/octet-stream']);

export interface UploadGateDeps {
  db: Db;
  logger: Logger;
  authenticator: Authenticator;
  /** The GraphQL endpoint's limiter: an upload takes one operation from the same budget. */
  rateLimiter: RateLimiter;
  /** The GraphQL endpoint's audit log writer: uploads join its batches. */
  auditWriter: AuditWriter;
  metrics: ApiMetrics;
  limits: GuardLimits;
  jobs: JobService | null;
  screen: ScreenSettings;
  /** Largest body accepted. @defaultValue `MAX_UPLOAD_BYTES` */
  maxBytes?: number;
}

/** What an upload route does with a body that passed the gate. */
export interface UploadSpec<P> {
  /**
   * The GraphQL mutation whose work the route does: its role rules (the operation guard's) apply,
   * and the audit log records the upload under its name.
   */
  operation: string;
  /** Reads the query string, before the body is read; throws `badInput` for a bad parameter. */
  params(url: URL): P;
  /**
   * Does the work as the caller (`ctx`, as a resolver gets it); the answer's status and JSON body.
   * A `GraphQLError` with a stable code (`badInput`, …) becomes the 4xx answer `{error: {code,
   * message, …extensions}}`.
   */
  run(upload: { ctx: ApiContext; text: string; params: P }): Promise<{ status: number; body: unknown }>;
}

export type UploadHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface UploadGate {
  /** The route handler for one upload: authentication, rate limit, role, body, audit, then `spec.run`. */
  handler<P>(spec: UploadSpec<P>): UploadHandler;
}

/** Why a body was not read: too large, or not a text type. */
type UploadRefusal = BodyRefusal | { status: 415; message: string };

function toJson(body: unknown): string {
  return JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** The body of an upload: `text/plain` (415 otherwise) of at most `maxBytes`. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | UploadRefusal> {
  const type = (req.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
  if (!TEXT_TYPES.has(type)) {
    return {
      status: 415,
      message: `send the file as content-type text/plain (one address or tag a line, as the file is), got ${JSON.stringify(type.slice(0, 100))}`,
    };
  }
  return readBodyWithin(req, maxBytes);
}

/**
 * The gate of the upload routes (`POST /api/v1/tags/import`, `POST /api/v1/jobs/screen-batch`),
 * which take a file as a `text/plain` body of up to `MAX_UPLOAD_BYTES`, where a GraphQL request
 * stops at 256 KiB. Callers are let in exactly as GraphQL lets them in: the same
 * `Authorization: Bearer <key>` lookup (and open mode on localhost while no key exists), the same
 * rate limit, the role rules of the mutation the route stands for, and a row in the audit log
 * (operation type `upload`, `variables_hash` the SHA-256 of the body). Refusals are 4xx answers
 * `{error: {code, message}}` with GraphQL's codes; bad input is never a 500.
 */
export function createUploadGate(deps: UploadGateDeps): UploadGate {
  const logger = deps.logger.child({ component: 'upload' });
  const maxBytes = deps.maxBytes ?? MAX_UPLOAD_BYTES;
  const { auditWriter } = deps;

  return {
    handler<P>(spec: UploadSpec<P>): UploadHandler {
      return async (req, res, url) => {
        const started = { at: new Date(), ms: performance.now() };
        const seconds = () => (performance.now() - started.ms) / 1000;
        let auth: Awaited<ReturnType<Authenticator['authenticate']>>;
        try {
          auth = await deps.authenticator.authenticate(req.headers.authorization, req.socket.remoteAddress);
        } catch (err) {
          logger.error({ err }, 'could not authenticate');
          deps.metrics.observeRequest('upload', 'INTERNAL_SERVER_ERROR', seconds());
          const body = {
            error: { code: 'INTERNAL_SERVER_ERROR', message: 'the service is unavailable; retry later' },
          };
          send(res, 503, toJson(body), { 'retry-after': '5' });
          return true;
        }
        if (!auth.ok) {
          deps.metrics.observeRequest('upload', 'UNAUTHENTICATED', seconds());
          send(res, 401, toJson({ error: { code: 'UNAUTHENTICATED', message: auth.message } }), {
            'www-authenticate': 'Bearer',
          });
          return true;
        }
        const { principal } = auth;
        let variablesHash: string | null = null;

        // Recorded before the answer leaves, as GraphQL does, so that no answered upload is missing.
        const answer = async (
          status: number,
          body: unknown,
          outcome: string,
          headers: Record<string, string> = {},
        ) => {
          const text = toJson(body);
          const durationMs = Math.round(performance.now() - started.ms);
          deps.metrics.observeRequest('upload', outcome, durationMs / 1000);
          logger.info(
            {
              key_id: principal.kind === 'key' ? String(principal.keyId) : null,
              operation_name: spec.operation,
              outcome,
              duration_ms: durationMs,
              result_bytes: Buffer.byteLength(text),
            },
            'upload',
          );
          await auditWriter.write({
            api_key_id: principal.kind === 'key' ? principal.keyId : null,
            operation_name: spec.operation,
            operation_type: 'upload',
            variables_hash: variablesHash,
            started_at: started.at,
            duration_ms: durationMs,
            result_bytes: Buffer.byteLength(text),
            cost: null,
            outcome,
          });
          send(res, status, text, headers);
          return true;
        };
        const refuse = (
          code: ErrorCode,
          message: string,
          extensions: Record<string, unknown> = {},
          status = STATUS[code],
          headers: Record<string, string> = {},
        ) => answer(status, { error: { ...extensions, code, message } }, code, headers);

        const caller =
          principal.kind === 'key' ? `key:${principal.keyId}` : `open:${req.socket.remoteAddress}`;
        const limit = await deps.rateLimiter.consume(caller);
        if (!limit.allowed) {
          const retryAfter = Math.ceil(limit.retryAfterMs / 1000);
          return refuse(
            'RATE_LIMITED',
            `rate limit exceeded; retry in ${retryAfter} s`,
            { retryAfterSeconds: retryAfter },
            429,
            { 'retry-after': String(retryAfter) },
          );
        }
        const rejection = checkOperation(
          { depth: 1, cost: 0, rootFields: [spec.operation], connections: [] },
          principal.role,
          deps.limits,
        );
        if (rejection !== null) return refuse(rejection.code, rejection.message, rejection.extensions);

        // A GraphQLError (badInput) from here on is the caller's mistake, answered with its code.
        const refuseKnown = (err: unknown) => {
          const code = err instanceof GraphQLError ? err.extensions.code : undefined;
          if (typeof code !== 'string' || !(ERROR_CODES as readonly string[]).includes(code))
            return undefined;
          const { code: _code, ...extensions } = (err as GraphQLError).extensions;
          return refuse(code as ErrorCode, (err as GraphQLError).message, extensions);
        };
        let params: P;
        try {
          params = spec.params(url);
        } catch (err) {
          const refused = refuseKnown(err);
          if (refused === undefined) throw err;
          return refused;
        }

        const body = await readBody(req, maxBytes);
        if (!Buffer.isBuffer(body)) return refuse('BAD_USER_INPUT', body.message, {}, body.status);
        variablesHash = createHash('sha256').update(body).digest('hex');
        let text: string;
        try {
          // Byte for byte what the file holds, as `minetrace tags import` reads it (a BOM included).
          text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
        } catch {
          return refuse('BAD_USER_INPUT', 'the body is not UTF-8 text');
        }

        const ctx = createApiContext(deps.db, principal, deps.limits.maxPage, deps.jobs, deps.screen);
        let result: { status: number; body: unknown };
        try {
          result = await spec.run({ ctx, text, params });
        } catch (err) {
          const refused = refuseKnown(err);
          if (refused !== undefined) return refused;
          logger.error({ err, operation_name: spec.operation }, 'upload failed');
          if (err instanceof RetryableError) {
            return refuse('INTERNAL_SERVER_ERROR', 'the service is unavailable; retry later', {}, 503, {
              'retry-after': '5',
            });
          }
          return refuse('INTERNAL_SERVER_ERROR', 'internal error', {}, 500);
        }
        return answer(result.status, result.body, 'OK');
      };
    },
  };
}
