import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Network, networkFromChain } from '@minetrace/shared/chain';
import { type Db, getChainState } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { readBodyWithin } from '../http/body-reader.js';
import type { ScreenSettings } from '../investigate/screen/index.js';
import type { JobService } from '../jobs/job-service.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { apiKeyResolvers, mutationResolvers } from './admin.resolvers.js';
import { type ApiContext, createApiContext } from './api-context.js';
import type { AuditWriter } from './audit-writer.js';
import {
  blockResolvers,
  inputResolvers,
  outputResolvers,
  spendResolvers,
  tipResolvers,
  transactionResolvers,
} from './chain.resolvers.js';
import {
  addressResolvers,
  clusterResolvers,
  miningIncomeRowResolvers,
  payoutResolvers,
  poolResolvers,
} from './entity.resolvers.js';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import { jobResolvers } from './jobs.resolvers.js';
import { createJsonFastPath, executeMarkingRequestErrors, readAnswer } from './json-fast-path.js';
import { createSharedLoaders } from './loaders.js';
import { checkOperation, type GuardLimits, measureOperation, rejectionError } from './operation-guard.js';
import { queryResolvers } from './query.resolvers.js';
import { QueryTextCache } from './query-text-cache.js';
import type { Resolvers } from './resolvers.generated.js';
import { DateTimeScalar, SatsScalar } from './scalars.js';
import {
  pathLinkResolvers,
  pathsResultResolvers,
  traceClusterValueResolvers,
  traceEdgeResolvers,
  traceNodeResolvers,
  traceSummaryResolvers,
} from './trace.resolvers.js';

/** Largest request body accepted (a query with its variables). */
const MAX_BODY_BYTES = 256 * 1024;

/** The schema's SDL, the contract clients code against. */
export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export const resolvers = {
  Sats: SatsScalar,
  Mutation: mutationResolvers,
  ApiKey: apiKeyResolvers,
  Job: jobResolvers,
  DateTime: DateTimeScalar,
  Query: queryResolvers,
  Tip: tipResolvers,
  Block: blockResolvers,
  Transaction: transactionResolvers,
  Input: inputResolvers,
  Output: outputResolvers,
  Spend: spendResolvers,
  Address: addressResolvers,
  Cluster: clusterResolvers,
  Pool: poolResolvers,
  Payout: payoutResolvers,
  MiningIncomeRow: miningIncomeRowResolvers,
  TraceNode: traceNodeResolvers,
  TraceEdge: traceEdgeResolvers,
  TraceSummary: traceSummaryResolvers,
  TraceClusterValue: traceClusterValueResolvers,
  PathsResult: pathsResultResolvers,
  PathLink: pathLinkResolvers,
} satisfies Partial<Resolvers>;

/** What one request records for the audit log while it runs. */
interface AuditState {
  operationName: string | null;
  operationType: string | null;
  variablesHash: string | null;
  cost: number | null;
}

type RequestContext = ApiContext & { audit: AuditState };

export interface GraphqlHandlerDeps {
  db: Db;
  logger: Logger;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  /** Where operations are recorded (shared with the upload routes, so that they batch together). */
  auditWriter: AuditWriter;
  metrics: ApiMetrics;
  limits: GuardLimits;
  /** Enqueueing and cancelling batch jobs; omitted: the job mutations answer that jobs are unavailable. */
  jobs?: JobService;
  /** Screening's rules and walk depth; omitted: the defaults. */
  screen?: ScreenSettings;
  /**
   * false: every request goes through yoga's HTTP layer, also plain JSON POSTs (see
   * `createJsonFastPath`); for comparing the two. @defaultValue true
   */
  jsonFastPath?: boolean;
  /**
   * What executes operations: graphql-js's `execute`, or `yoga`'s own (@graphql-tools/executor), which
   * also turns the JSON fast path off (it calls graphql-js's); for comparing the two.
   * @defaultValue 'graphql-js'
   */
  executor?: 'graphql-js' | 'yoga';
}

/** The GraphQL endpoint and the GraphiQL page, as handlers for the API server's routes. */
export interface GraphqlHandler {
  /** `GET`/`POST /graphql`. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** `GET /`: GraphiQL for browsers; false for other clients (404). */
  graphiql(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/**
 * Deepest nesting of lists and objects accepted in variables. No input type of the schema comes
 * near it; a body of 256 KiB nests a list 100,000 deep, which would exhaust the stack.
 */
export const MAX_VARIABLES_DEPTH = 64;

/** `value` with the keys of every object in sorted order (arrays of scalars are kept as they are). */
function sortedKeys(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_VARIABLES_DEPTH) {
    throw new GraphQLError(`variables nest lists or objects deeper than ${MAX_VARIABLES_DEPTH} levels`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  if (Array.isArray(value)) {
    return value.some((item) => item !== null && typeof item === 'object')
      ? value.map((item) => sortedKeys(item, depth + 1))
      : value;
  }
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => [key, sortedKeys(item, depth + 1)]),
  );
}

/**
 * True when `JSON.stringify(variables)` is already their sorted form: keys in order, and every value
 * a scalar or a list of scalars. Most operations send one or two such variables (an address, a
 * list of them), and for those the sorted copy is skipped.
 */
function isSortedFlat(variables: Record<string, unknown>, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && !(keys[i - 1]! < keys[i]!)) return false;
    const value = variables[keys[i]!];
    if (value === null || typeof value !== 'object') continue;
    if (!Array.isArray(value)) return false;
    for (const item of value) if (item !== null && typeof item === 'object') return false;
  }
  return true;
}

/**
 * SHA-256 of the variables as JSON with sorted keys, so equal variables hash equally. The keys are
 * sorted before one native `JSON.stringify`: a replacer would be called for each of a thousand
 * addresses.
 */
export function hashVariables(variables: unknown): string | null {
  if (variables === undefined || variables === null) return null;
  let canonical: unknown = variables;
  if (typeof variables === 'object' && !Array.isArray(variables)) {
    const keys = Object.keys(variables);
    if (keys.length === 0) return null;
    if (!isSortedFlat(variables as Record<string, unknown>, keys)) canonical = sortedKeys(variables);
  } else {
    canonical = sortedKeys(variables);
  }
  // One-shot: no Hash object per request.
  return hash('sha256', JSON.stringify(canonical), 'hex');
}

/**
 * Operations run through graphql-js's own `execute`, the reference implementation, instead of yoga's
 * default executor (@graphql-tools/executor, a fork of it adding incremental delivery, which this
 * schema does not use). On the address lookup bench it cost 524–531 µs of CPU per answer against
 * 543–677, and its p99 was 44 ms against 58–60 (old and new alternated). A test compares the
 * answers of the two, byte for byte. graphql-jit (0.8.9) was faster still, 420 µs, and is not used:
 * it writes a query's literal arguments into JavaScript source, which a crafted string escapes to
 * run code on the server, and it drops the fields of a fragment spread twice when one of the spreads
 * is under `@include(if: false)`. Tried again on the JSON fast path (0.8.9, path-based skip/include,
 * compiling only repeated queries): the same code injection (a test now sends it), the fields of a
 * fragment spread twice at one path still lost, one operation's compile changing another's answer
 * in the same document, an explicit null `if:` variable answered without its error, and fields
 * reordered after a skipped first occurrence. Any query compiler must pass those cases first.
 */
const graphqlJsExecutor: Plugin<RequestContext> = {
  onExecute({ setExecuteFn }) {
    setExecuteFn(executeMarkingRequestErrors);
  },
};

/**
 * Before an operation executes: records its name, type, variables hash and cost for the audit log,
 * and refuses it (a result to answer instead) when the caller's role or the limits forbid it.
 */
function guardOperation(
  limits: GuardLimits,
  args: ExecutionArgs,
  // The fast path has found it already; the plugin finds it here.
  operation = getOperationAST(args.document, args.operationName),
): ExecutionResult | null {
  const ctx = args.contextValue as RequestContext;
  ctx.audit.operationName = operation?.name?.value ?? args.operationName ?? null;
  ctx.audit.operationType = operation?.operation ?? null;
  ctx.audit.variablesHash = hashVariables(args.variableValues);
  if (operation === null || operation === undefined) return null;
  const shape = measureOperation(
    args.schema,
    args.document,
    operation,
    (args.variableValues ?? {}) as Record<string, unknown>,
    limits.maxPage,
  );
  ctx.audit.cost = shape.cost;
  const rejection = checkOperation(shape, ctx.principal.role, limits);
  return rejection === null ? null : { errors: [rejectionError(rejection)] };
}

function guardPlugin(limits: GuardLimits): Plugin<RequestContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = guardOperation(limits, args);
      if (refused !== null) setResultAndStopExecution(refused);
    },
  };
}

function errorBody(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message, extensions: { ...extensions, code } }] });
}

/**
 * Gives every error one of the stable `extensions.code`s: yoga's own codes for parse, validation
 * and request errors become BAD_USER_INPUT (the original kept as `extensions.reason`).
 */
function withCodes(text: string, status: number): { text: string; outcome: string } {
  // An answer without errors is left as it is; only one that may hold some is parsed.
  if (!text.includes('"errors"')) return { text, outcome: 'OK' };
  let body: { errors?: Array<{ extensions?: Record<string, unknown> }> };
  try {
    body = JSON.parse(text);
  } catch {
    return { text, outcome: 'OK' };
  }
  if (!Array.isArray(body.errors) || body.errors.length === 0) return { text, outcome: 'OK' };
  let changed = false;
  for (const error of body.errors) {
    const extensions = error.extensions ?? {};
    const code = extensions.code;
    if (typeof code !== 'string' || !(ERROR_CODES as readonly string[]).includes(code)) {
      // Parse, validation and request-shape errors (GRAPHQL_PARSE_FAILED, BAD_REQUEST, …) are the caller's.
      extensions.code = status < 500 ? 'BAD_USER_INPUT' : 'INTERNAL_SERVER_ERROR';
      if (typeof code === 'string') extensions.reason = code;
      changed = true;
    }
    // The HTTP status is the transport's business; keep extensions to the stable contract.
    if ('http' in extensions) {
      delete extensions.http;
      changed = true;
    }
    error.extensions = extensions;
  }
  return { text: changed ? JSON.stringify(body) : text, outcome: String(body.errors[0]!.extensions!.code) };
}

export function createGraphqlHandler(deps: GraphqlHandlerDeps): GraphqlHandler {
  const logger = deps.logger.child({ component: 'graphql' });
  // Unexpected errors reach clients as "Unexpected error." without message or stack; the log keeps them.
  const maskError = (error: unknown, message: string): GraphQLError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (error instanceof GraphQLError && (original === undefined || original instanceof GraphQLError)) {
      return error;
    }
    logger.error({ err: original }, 'resolver failed');
    return new GraphQLError(message, {
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
      ...(error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {}),
    });
  };
  const schema = createSchema<RequestContext>({ typeDefs, resolvers });
  const executor = deps.executor === 'yoga' ? [] : [graphqlJsExecutor];
  const yoga = createYoga<RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: { title: 'minetrace', defaultQuery: DEFAULT_QUERY },
    landingPage: false,
    logging: false,
    // `handle` reads at most MAX_BODY_BYTES before yoga sees the request; yoga's own limit would pipe
    // every body through a second stream (a third of its per-request work on small queries).
    maxRequestBodySize: false,
    // Bounded by the length of the texts as well as their number (see QueryTextCache).
    parserAndValidationCache: { documentCache: new QueryTextCache(), errorCache: new QueryTextCache() },
    // Unexpected errors reach clients as "Unexpected error." without message or stack; the log keeps them.
    maskedErrors: { isDev: false, maskError },
    plugins: [guardPlugin(deps.limits), ...executor],
  });

  const shared = createSharedLoaders(deps.db);
  const fastPath =
    deps.jsonFastPath === false || deps.executor === 'yoga'
      ? null
      : createJsonFastPath({
          yoga,
          schema,
          guard: (args, operation) => guardOperation(deps.limits, args, operation),
          execute: executeMarkingRequestErrors,
          maskError,
        });
  // yoga's own fetch classes: a global (undici) Request costs more to build and to read back.
  const yogaRequest = (req: IncomingMessage, body: Buffer | undefined) => {
    const headers = new yoga.fetchAPI.Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    return new yoga.fetchAPI.Request(`http://localhost${req.url ?? '/graphql'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body: new Uint8Array(body) }),
    });
  };

  const { auditWriter } = deps;
  // A database indexes one network for good (chain_state), so once known it is not asked again.
  let knownNetwork: Network | undefined;
  const network = async (): Promise<Network | null> => {
    if (knownNetwork !== undefined) return knownNetwork;
    const chainState = await getChainState(deps.db);
    if (chainState === undefined) return null;
    knownNetwork = networkFromChain(chainState.network);
    return knownNetwork;
  };

  const audit = async (
    principal: Principal,
    state: AuditState,
    started: { at: Date; ms: number },
    resultBytes: number,
    outcome: string,
  ) => {
    const durationMs = Math.round(performance.now() - started.ms);
    deps.metrics.observeRequest(state.operationType ?? 'none', outcome, durationMs / 1000);
    logger.info(
      {
        key_id: principal.kind === 'key' ? String(principal.keyId) : null,
        operation_name: state.operationName,
        outcome,
        cost: state.cost,
        duration_ms: durationMs,
        result_bytes: resultBytes,
      },
      'graphql operation',
    );
    await auditWriter.write({
      // NULL: the open localhost mode, where no key is configured; its operations are recorded too.
      api_key_id: principal.kind === 'key' ? principal.keyId : null,
      operation_name: state.operationName,
      operation_type: state.operationType,
      variables_hash: state.variablesHash,
      started_at: started.at,
      duration_ms: durationMs,
      result_bytes: resultBytes,
      cost: state.cost,
      outcome,
    });
  };

  const send = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(text);
  };

  return {
    async handle(req, res) {
      const started = { at: new Date(), ms: performance.now() };
      const state: AuditState = { operationName: null, operationType: null, variablesHash: null, cost: null };
      let auth: Awaited<ReturnType<Authenticator['authenticate']>>;
      try {
        auth = await deps.authenticator.authenticate(req.headers.authorization, req.socket.remoteAddress);
      } catch (err) {
        // The key store (the database) is unreachable: a GraphQL-shaped answer, without the cause.
        logger.error({ err }, 'could not authenticate');
        deps.metrics.observeRequest('none', 'INTERNAL_SERVER_ERROR', (performance.now() - started.ms) / 1000);
        send(res, 503, errorBody('INTERNAL_SERVER_ERROR', 'the service is unavailable; retry later'), {
          'retry-after': '5',
        });
        return;
      }
      if (!auth.ok) {
        deps.metrics.observeRequest('none', 'UNAUTHENTICATED', (performance.now() - started.ms) / 1000);
        send(res, 401, errorBody('UNAUTHENTICATED', auth.message), { 'www-authenticate': 'Bearer' });
        return;
      }
      const { principal } = auth;
      const caller = principal.kind === 'key' ? `key:${principal.keyId}` : `open:${req.socket.remoteAddress}`;
      const limit = await deps.rateLimiter.consume(caller);
      if (!limit.allowed) {
        const retryAfter = Math.ceil(limit.retryAfterMs / 1000);
        const text = errorBody('RATE_LIMITED', `rate limit exceeded; retry in ${retryAfter} s`, {
          retryAfterSeconds: retryAfter,
        });
        await audit(principal, state, started, Buffer.byteLength(text), 'RATE_LIMITED');
        send(res, 429, text, { 'retry-after': String(retryAfter) });
        return;
      }
      const read =
        req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBodyWithin(req, MAX_BODY_BYTES);
      if (read !== undefined && !Buffer.isBuffer(read)) {
        const text = errorBody('BAD_USER_INPUT', read.message);
        await audit(principal, state, started, Buffer.byteLength(text), 'BAD_USER_INPUT');
        send(res, read.status, text);
        return;
      }
      const body = read;
      const context: RequestContext = {
        ...createApiContext(deps.db, principal, deps.limits.maxPage, deps.jobs ?? null, deps.screen, shared),
        network,
        audit: state,
      };
      const fast =
        fastPath !== null && req.method === 'POST' && body !== undefined
          ? await fastPath.run(req.headers, body, context)
          : null;
      const answer = fast ?? (await readAnswer(await yoga.handleRequest(yogaRequest(req, body), context)));
      const isJson = (answer.headers['content-type'] ?? '').includes('json');
      const { text, outcome } = isJson
        ? withCodes(answer.text, answer.status)
        : { text: answer.text, outcome: 'OK' };
      // Clients see errors in the GraphQL errors array, never a bare server error.
      const status = answer.status >= 500 ? 200 : answer.status;
      // Recorded before the answer leaves, so that no answered operation is missing from the log.
      await audit(principal, state, started, Buffer.byteLength(text), outcome);
      res.writeHead(status, answer.headers);
      res.end(text);
    },

    async graphiql(req, res) {
      if (!(req.headers.accept ?? '').includes('text/html')) return false;
      const response = await yoga.handleRequest(
        new Request('http://localhost/graphql', { method: 'GET', headers: { accept: 'text/html' } }),
        {} as RequestContext,
      );
      res.writeHead(response.status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(await response.text());
      return true;
    },
  };
}

const DEFAULT_QUERY = `# minetrace: blocks, transactions, addresses, pools and their payouts.
# Send an API key as the header  Authorization: Bearer <key>  (not needed on localhost while none exists).
{
  tip { height hash time }
  pools { name slug blocksMined rewardTotal }
  blocks(first: 5) {
    edges { node { height hash time pool { name } poolMatch reward txCount } }
    pageInfo { hasNextPage endCursor }
  }
}
`;
