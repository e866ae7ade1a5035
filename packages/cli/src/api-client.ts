import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type BaseError, NonRetryableError, RetryableError } from '@minetrace/shared';
import { type Network, networkFromChain } from '@minetrace/shared/chain';
import { describeProblems, type TagProblem } from '@minetrace/shared/tags';

/**
 * Where a server runs a command instead of this process: `MINETRACE_API_URL` (its base URL; GraphQL
 * is `<url>/graphql`) and `MINETRACE_API_KEY` (a bearer key, when the server wants one).
 */
export interface RemoteApi {
  url: URL;
  key: string | null;
}

/**
 * Reads `MINETRACE_API_URL` and `MINETRACE_API_KEY`; null when no URL is set (the command runs in
 * this process). These describe a client, not a service, so they are read here rather than in the
 * service config.
 */
export function remoteApi(env: NodeJS.ProcessEnv): RemoteApi | null {
  const raw = env.MINETRACE_API_URL?.trim();
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new NonRetryableError(`MINETRACE_API_URL is not a URL: '${raw}'`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NonRetryableError(`MINETRACE_API_URL must be http or https, got '${raw}'`);
  }
  const key = env.MINETRACE_API_KEY?.trim();
  return { url, key: key === undefined || key === '' ? null : key };
}

/** A refusal as a server answers it: GraphQL's first error, or an HTTP route's `{error}`. */
export interface ApiRefusal {
  status: number;
  /** The `extensions.code` (`UNAUTHENTICATED`, `FORBIDDEN`, `BAD_USER_INPUT`, …); null when none came. */
  code: string | null;
  message: string;
  /** A tag file's or an address list's problems, when the server listed them. */
  problems: TagProblem[];
}

/**
 * The refusal in a server's answer, or null when the answer is no refusal. Reads GraphQL's
 * `{errors: [{message, extensions: {code, problems}}]}`, the upload routes' `{error: {code,
 * message, problems}}` and the older routes' `{error: "message"}`.
 */
export function refusalOf(status: number, body: unknown): ApiRefusal | null {
  const record = (value: unknown): Record<string, unknown> | null =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  const problemsOf = (value: unknown): TagProblem[] =>
    Array.isArray(value)
      ? value.flatMap((p) => {
          const problem = record(p);
          return typeof problem?.at === 'string' && typeof problem.message === 'string'
            ? [{ at: problem.at, message: problem.message }]
            : [];
        })
      : [];
  const answer = record(body);
  const errors = answer?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const first = record(errors[0]) ?? {};
    const extensions = record(first.extensions) ?? {};
    return {
      status,
      code: typeof extensions.code === 'string' ? extensions.code : null,
      message: errors
        .map((error) => String(record(error)?.message ?? 'error'))
        .filter((message, i, all) => all.indexOf(message) === i)
        .join('; '),
      problems: problemsOf(extensions.problems),
    };
  }
  const error = answer?.error;
  if (typeof error === 'string') return { status, code: null, message: error, problems: [] };
  const detail = record(error);
  if (detail !== null) {
    return {
      status,
      code: typeof detail.code === 'string' ? detail.code : null,
      message: typeof detail.message === 'string' ? detail.message : `HTTP ${status}`,
      problems: problemsOf(detail.problems),
    };
  }
  if (status >= 400) return { status, code: null, message: `HTTP ${status}`, problems: [] };
  return null;
}

/**
 * The error the CLI reports for a refusal: what was refused, where, why, and what to change.
 * `RetryableError` (exit 75) for rate limits and server-side failures, `NonRetryableError` for the
 * rest. A list of problems is appended as `minetrace tags import` prints it for a local file.
 */
export function refusalError(
  refusal: ApiRefusal,
  context: { origin: string; what: string; key: string | null },
): BaseError {
  let hint = '';
  if (refusal.code === 'UNAUTHENTICATED' || refusal.status === 401) {
    hint =
      context.key === null
        ? ' (set MINETRACE_API_KEY to a key of that server)'
        : ' (check MINETRACE_API_KEY: the server does not know it, or it was revoked)';
  } else if (refusal.code === 'FORBIDDEN' || refusal.status === 403) {
    hint =
      context.key === null
        ? " (no MINETRACE_API_KEY: the server's open localhost mode has the investigator role; set a key with the role needed)"
        : ' (MINETRACE_API_KEY has another role: use a key with the role needed)';
  }
  const problems = refusal.problems.length > 0 ? `:\n${describeProblems(refusal.problems)}` : '';
  const message = `${context.origin} refused ${context.what}: ${refusal.message}${hint}${problems}`;
  const transient =
    refusal.code === 'RATE_LIMITED' ||
    refusal.code === 'INTERNAL_SERVER_ERROR' ||
    refusal.status === 429 ||
    refusal.status >= 500;
  return transient ? new RetryableError(message) : new NonRetryableError(message);
}

/** A minetrace server, reached over HTTP; every failure is a `RetryableError` or a `NonRetryableError`. */
export interface ApiClient {
  readonly api: RemoteApi;
  /** The server's origin (`http://host:port`), for messages. */
  readonly origin: string;
  /** Runs one GraphQL operation (`POST /graphql`) and returns its `data`; `what` names it in errors. */
  graphql<T>(what: string, query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Posts `body` as `text/plain` to `path` with `params` in the query string; the JSON answer. */
  upload<T>(what: string, path: string, params: Record<string, string>, body: string): Promise<T>;
  /**
   * Downloads `path` (a job's `result.downloadUrl`) into a new file `file`. False, downloading
   * nothing, when `file` exists already.
   */
  download(what: string, path: string, file: string): Promise<boolean>;
  /** The network the server indexes (its `/health`); null when it has not indexed a block or does not say. */
  network(): Promise<Network | null>;
  /** The absolute URL of a server path, for messages. */
  urlOf(path: string): URL;
}

export function createApiClient(api: RemoteApi): ApiClient {
  const base = api.url.href.endsWith('/') ? api.url : new URL(`${api.url.href}/`);
  // Server paths (`/jobs/1/result`) are taken relative to the base URL, which may carry a prefix.
  const urlOf = (path: string) => new URL(path.replace(/^\/+/, ''), base);
  const authorization: Record<string, string> =
    api.key === null ? {} : { authorization: `Bearer ${api.key}` };
  const origin = api.url.origin;

  const send = async (what: string, url: URL, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, { ...init, headers: { ...authorization, ...init.headers } });
    } catch (err) {
      const reason = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new RetryableError(`could not reach ${url.origin} for ${what}: ${reason}`, { cause: err });
    }
  };
  const readJson = async (what: string, url: URL, response: Response): Promise<unknown> => {
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      const message = `${url.href} answered ${response.status} to ${what} with no JSON: ${text.slice(0, 200)}`;
      throw response.status >= 500 || response.status === 429
        ? new RetryableError(message, { cause: err })
        : new NonRetryableError(message, { cause: err });
    }
  };
  const answer = async <T>(what: string, url: URL, response: Response): Promise<T> => {
    const body = await readJson(what, url, response);
    const refusal = refusalOf(response.status, body);
    if (refusal !== null) throw refusalError(refusal, { origin, what, key: api.key });
    return body as T;
  };

  return {
    api,
    origin,
    urlOf,
    async graphql<T>(what: string, query: string, variables: Record<string, unknown> = {}) {
      const url = urlOf('graphql');
      const response = await send(what, url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = await answer<{ data?: T | null }>(what, url, response);
      if (body.data === undefined || body.data === null) {
        throw new NonRetryableError(`${url.href} answered ${response.status} to ${what} without data`);
      }
      return body.data;
    },
    async upload<T>(what: string, path: string, params: Record<string, string>, body: string) {
      const url = urlOf(path);
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      const response = await send(what, url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8', accept: 'application/json' },
        body,
      });
      return answer<T>(what, url, response);
    },
    async download(what, path, file) {
      const out = createWriteStream(file, { flags: 'wx' });
      try {
        await new Promise<void>((resolve, reject) => {
          out.once('open', () => resolve());
          out.once('error', reject);
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw new NonRetryableError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
      }
      try {
        const url = urlOf(path);
        const response = await send(what, url, { method: 'GET' });
        if (!response.ok) await answer(what, url, response);
        if (response.body === null) {
          throw new NonRetryableError(`${url.href} answered ${response.status} to ${what} without a body`);
        }
        await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), out);
        return true;
      } catch (err) {
        out.destroy();
        await unlink(file).catch(() => {});
        throw err;
      }
    },
    async network() {
      const response = await send('its network', urlOf('health'), { method: 'GET' });
      if (!response.ok) return null;
      const health = (await response.json().catch(() => null)) as { network?: unknown } | null;
      if (typeof health?.network !== 'string') return null;
      try {
        return networkFromChain(health.network);
      } catch {
        return null;
      }
    },
  };
}

/** The server named by `MINETRACE_API_URL`, or null: the command runs in this process. */
export function apiClientFromEnv(env: NodeJS.ProcessEnv = process.env): ApiClient | null {
  const api = remoteApi(env);
  return api === null ? null : createApiClient(api);
}
