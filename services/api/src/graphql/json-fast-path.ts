import type { IncomingHttpHeaders } from 'node:http';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  type OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import { QueryTextCache } from './query-text-cache.js';

/** The fields of a GraphQL-over-HTTP POST body, as yoga accepts them. */
interface JsonParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

const PARAM_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A JSON body as yoga reads one: the first listed type is `application/json`, exactly, or with parameters. */
function isJsonContentType(value: string): boolean {
  const type = value.split(',', 1)[0]!;
  return type === 'application/json' || type.startsWith('application/json;');
}

/** Accept headers answered with plain JSON in UTF-8, as yoga reads them (spaces dropped, any case). */
const PLAIN_JSON_ACCEPTS = new Set(['*/*', 'application/json', 'application/json;charset=utf-8']);

/**
 * The body's parameters when the request is the plain machine case: a POST of one JSON operation,
 * answered as `application/json`, from a client that is not a browser on another origin. Null for
 * anything else (GET, batches, other media types, CORS, malformed bodies), which yoga answers.
 */
export function plainJsonParams(headers: IncomingHttpHeaders, body: Buffer): JsonParams | null {
  const contentType = headers['content-type'];
  if (contentType === undefined || !isJsonContentType(contentType)) return null;
  const accept = headers.accept;
  if (accept !== undefined && !PLAIN_JSON_ACCEPTS.has(accept.replace(/\s/g, '').toLowerCase())) return null;
  if (headers.origin !== undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isPlainObject(parsed) || typeof parsed.query !== 'string') return null;
  for (const name of Object.keys(parsed)) if (!PARAM_NAMES.has(name)) return null;
  const { variables, operationName, extensions } = parsed;
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (extensions !== undefined && extensions !== null && !isPlainObject(extensions)) return null;
  return parsed as unknown as JsonParams;
}

/** An HTTP answer as text: what the handler sends (header names in lower case). */
export interface TextAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** An answer yoga built, read as text (its `content-length` left out: the sender sets its own). */
export async function readAnswer(response: Response): Promise<TextAnswer> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    // yoga's own Headers give names as they were set ('Content-Type').
    const lower = name.toLowerCase();
    if (lower !== 'content-length') headers[lower] = value;
  });
  return { status: response.status, headers, text: await response.text() };
}

export interface JsonFastPath<TContext> {
  /**
   * Executes the request when it is a plain JSON operation that parses and validates, and returns
   * yoga's answer for it; null when yoga must handle the request (nothing was executed then).
   */
  run(headers: IncomingHttpHeaders, body: Buffer, context: TContext): Promise<TextAnswer | null>;
}

/** What the fast path does in place of yoga's plugins; each must be what the server's plugins do. */
// biome-ignore lint/suspicious/noExplicitAny: yoga's own bound on a server context.
export interface JsonFastPathOptions<TContext extends Record<string, any>> {
  /** The server's yoga: it answers the results that hold errors, as its own result processor. */
  // biome-ignore lint/complexity/noBannedTypes: yoga's type for "no user context".
  yoga: YogaServerInstance<TContext, {}>;
  schema: GraphQLSchema;
  /**
   * The server's check before executing (its `onExecute` plugin), given the operation to run: a
   * result answers instead.
   */
  guard?: (args: ExecutionArgs, operation: OperationDefinitionNode) => ExecutionResult | null;
  /** The server's executor. */
  execute: (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;
  /** The server's masking of unexpected errors (`maskedErrors.maskError`), given yoga's message. */
  maskError: (error: GraphQLError, message: string) => GraphQLError;
}

/** graphql-js's `execute`, marking the errors of an operation that cannot start as yoga's executor does. */
export function executeMarkingRequestErrors(args: ExecutionArgs): ExecutionResult | Promise<ExecutionResult> {
  const result = execute(args);
  // An operation that cannot start (a variable of the wrong type) gives errors without data, at
  // once. They are the request's: yoga answers them 400 when its executor marks them so.
  if (!('then' in result) && !('data' in result) && result.errors !== undefined) {
    for (const error of result.errors) {
      Object.defineProperty(error, 'extensions', {
        value: { ...error.extensions, http: { ...(error.extensions.http ?? {}), status: 400 } },
      });
    }
  }
  return result;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A thrown value as the GraphQLError yoga would make of it (the original kept for masking to log). */
const asGraphqlError = (err: unknown): GraphQLError =>
  err instanceof GraphQLError
    ? err
    : new GraphQLError(err instanceof Error ? err.message : String(err), {
        originalError: err instanceof Error ? err : undefined,
      });

/** yoga's message for a masked error (its `maskedErrors.errorMessage` default). */
const MASKED_MESSAGE = 'Unexpected error.';

/**
 * Query texts already parsed and validated: the document, or null when it failed either (yoga then
 * answers it with the reason). A Map underneath, not yoga's LRU: a lookup here runs once per
 * request, and the LRU cost more than the rest of this path's bookkeeping.
 */
function createDocumentCache(schema: GraphQLSchema) {
  const documents = new QueryTextCache<DocumentNode | null>();
  return (query: string): DocumentNode | null => {
    const known = documents.get(query);
    if (known !== undefined) return known;
    let document: DocumentNode | null;
    try {
      document = parse(query);
      if (validate(schema, document).length > 0) document = null;
    } catch {
      document = null;
    }
    documents.set(query, document);
    return document;
  };
}

/**
 * Most API traffic is machines POSTing one small JSON operation. yoga answers those through its
 * fetch-API layer (a Request, plugins per HTTP hook, a Response) and envelop's chain of hooks, which
 * cost more CPU than executing a one-row lookup. This path does for them what the server's plugins
 * do, called directly: the same guard, executor and error masking (`JsonFastPathOptions`), on
 * documents it parses and validates with graphql-js as yoga does, and answers a result without
 * errors as 200 JSON; a result with errors goes through yoga's own result processor, which sets
 * the status, so the answer is the one yoga would give. Everything else (GraphiQL, GET, batches,
 * parse and validation errors, CORS) still goes through yoga, and tests compare the two paths
 * answer for answer, on a toy schema and on the API's.
 */
// biome-ignore lint/suspicious/noExplicitAny: yoga's own bound on a server context.
export function createJsonFastPath<TContext extends Record<string, any>>(
  options: JsonFastPathOptions<TContext>,
): JsonFastPath<TContext> {
  const { yoga, schema, guard, execute } = options;
  const documentOf = createDocumentCache(schema);
  return {
    async run(headers, body, context) {
      const params = plainJsonParams(headers, body);
      if (params === null) return null;
      const document = documentOf(params.query);
      if (document === null) return null;
      const operationName = params.operationName ?? undefined;
      const operation = getOperationAST(document, operationName);
      if (operation === null || operation === undefined || operation.operation === 'subscription')
        return null;
      const args: ExecutionArgs = {
        schema,
        document,
        contextValue: context,
        variableValues: params.variables ?? undefined,
        operationName,
      };
      let result: ExecutionResult;
      try {
        result = guard?.(args, operation) ?? (await execute(args));
      } catch (err) {
        // What yoga does with an error thrown outside the resolvers (a guard failing): one masked error.
        result = { errors: [options.maskError(asGraphqlError(err), MASKED_MESSAGE)] };
      }
      // A result without errors or extensions is what nearly every request gives: yoga answers it
      // 200 with the result as JSON, and building its Response to read the text back cost more than
      // the serialization. Anything else goes through yoga's processor, which sets the status.
      if (result.errors === undefined && result.extensions === undefined) {
        return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, text: JSON.stringify(result) };
      }
      if (result.errors !== undefined) {
        result = {
          ...result,
          errors: result.errors.map((error) => options.maskError(error, MASKED_MESSAGE)),
        };
      }
      return readAnswer(await processRegularResult(result, yoga.fetchAPI, 'application/json'));
    },
  };
}
