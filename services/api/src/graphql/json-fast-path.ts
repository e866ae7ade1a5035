import type { IncomingHttpHeaders } from 'node:http';
import { getOperationAST } from 'graphql';
import { isAsyncIterable, processRegularResult, type YogaServerInstance } from 'graphql-yoga';

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

/** `application/json`, optionally with parameters (`; charset=utf-8`). */
function isJsonMediaType(value: string): boolean {
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * The body's parameters when the request is the plain machine case: a POST of one JSON operation,
 * answered as `application/json`, from a client that is not a browser on another origin. Null for
 * anything else (GET, batches, other media types, CORS, malformed bodies), which yoga answers.
 */
export function plainJsonParams(headers: IncomingHttpHeaders, body: Buffer): JsonParams | null {
  const contentType = headers['content-type'];
  if (contentType === undefined || !isJsonMediaType(contentType)) return null;
  const accept = headers.accept;
  if (accept !== undefined && accept.trim() !== '*/*' && !isJsonMediaType(accept)) return null;
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

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Most API traffic is machines POSTing one small JSON operation. yoga answers those through its
 * fetch-API layer (a Request, plugins per HTTP hook, a Response), which costs more CPU than
 * executing a one-row lookup. This path executes them through the same envelop instance (the
 * same parser and validation caches, the same plugins: cost guard, masked errors) and answers as
 * yoga's own processor does: a result without errors as 200 JSON directly, any other through that
 * processor, so the answer is the one yoga would give. Everything else
 * (GraphiQL, GET, batches, parse and validation errors, CORS) still goes through yoga, and a test
 * compares the two paths answer for answer.
 */
// biome-ignore lint/suspicious/noExplicitAny: yoga's own bound on a server context.
export function createJsonFastPath<TContext extends Record<string, any>>(
  // biome-ignore lint/complexity/noBannedTypes: yoga's type for "no user context".
  yoga: YogaServerInstance<TContext, {}>,
): JsonFastPath<TContext> {
  return {
    async run(headers, body, context) {
      const params = plainJsonParams(headers, body);
      if (params === null) return null;
      // yoga's plugins read the request's method (a parse error is marked as the request's, and
      // cached so); nothing here reads more of it.
      const request = { method: 'POST' } as Request;
      const enveloped = yoga.getEnveloped({ ...context, params, request });
      let document: ReturnType<typeof enveloped.parse>;
      try {
        document = enveloped.parse(params.query);
      } catch {
        return null;
      }
      if (enveloped.validate(enveloped.schema, document).length > 0) return null;
      const operation = getOperationAST(document, params.operationName ?? undefined);
      if (operation === null || operation === undefined || operation.operation === 'subscription')
        return null;
      const contextValue = await enveloped.contextFactory();
      const result = await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables ?? undefined,
        operationName: params.operationName ?? undefined,
      });
      if (isAsyncIterable(result)) {
        // The schema has no @defer or @stream: a query or mutation gives one result.
        throw new Error('an operation gave a stream of results');
      }
      // A result without errors or extensions is what nearly every request gives: yoga answers it
      // 200 with the result as JSON, and building its Response to read the text back cost more than
      // the serialization. Anything else goes through yoga's processor, which sets the status.
      if (result.errors === undefined && result.extensions === undefined) {
        const stringify = (result as { stringify?: (value: unknown) => string }).stringify ?? JSON.stringify;
        return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, text: stringify(result) };
      }
      return readAnswer(await processRegularResult(result, yoga.fetchAPI, 'application/json'));
    },
  };
}
