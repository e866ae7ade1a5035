import { type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import { createSchema, createYoga, maskError, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { createJsonFastPath, executeMarkingRequestErrors, plainJsonParams } from './json-fast-path.js';

type Context = { user: string };

/** A check before executing, as the server's cost guard: the fast path calls it, yoga as a plugin. */
const refusal = (args: ExecutionArgs): ExecutionResult | null => {
  if (args.operationName === 'Broken') throw new Error('the guard broke');
  return args.operationName === 'Refused'
    ? { errors: [new GraphQLError('refused', { extensions: { code: 'FORBIDDEN' } })] }
    : null;
};

const stopped: Plugin<Context> = {
  onExecute({ args, setResultAndStopExecution }) {
    const refused = refusal(args);
    if (refused !== null) setResultAndStopExecution(refused);
  },
};

const schema = createSchema<Context>({
  typeDefs: /* GraphQL */ `
      type Query {
        hello(name: String!): String!
        who: String!
        bad: String
        crash: String
        big: [Int!]!
      }
      type Mutation {
        touch: Int!
      }
    `,
  resolvers: {
    Query: {
      hello: (_, { name }: { name: string }) => `hello ${name}`,
      who: (_parent, _args, context: Context) => context.user,
      bad: () => {
        throw new GraphQLError('no such thing', { extensions: { code: 'NOT_FOUND' } });
      },
      crash: () => {
        throw new Error('secret detail');
      },
      big: () => [1, 2, 3],
    },
    Mutation: { touch: () => 1 },
  },
});

const yoga = createYoga<Context>({
  schema,
  maskedErrors: true,
  logging: false,
  maxRequestBodySize: false,
  plugins: [stopped],
});
const fast = createJsonFastPath<Context>({
  yoga,
  schema,
  guard: refusal,
  execute: executeMarkingRequestErrors,
  // yoga's own masking, which gives a GraphQLError though typed as an Error.
  maskError: (error, message) => maskError(error, message) as GraphQLError,
});
const JSON_HEADERS = { 'content-type': 'application/json' };

async function both(body: unknown, headers: Record<string, string> = JSON_HEADERS) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const viaFast = await fast.run(headers, Buffer.from(text), { user: 'ann' });
  const viaYoga = await yoga.handleRequest(
    new yoga.fetchAPI.Request('http://localhost/graphql', { method: 'POST', headers, body: text }),
    { user: 'ann' },
  );
  const yogaAnswer = {
    status: viaYoga.status,
    type: viaYoga.headers.get('content-type'),
    text: await viaYoga.text(),
  };
  const fastAnswer =
    viaFast === null
      ? null
      : { status: viaFast.status, type: viaFast.headers['content-type'], text: viaFast.text };
  return { fastAnswer, yogaAnswer };
}

describe('plainJsonParams', () => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('takes one JSON operation with its variables and operation name', () => {
    const params = { query: '{ who }', variables: { a: 1 }, operationName: 'Q', extensions: {} };
    expect(plainJsonParams(JSON_HEADERS, body(params))).toEqual(params);
    expect(
      plainJsonParams({ 'content-type': 'application/json; charset=utf-8', accept: '*/*' }, body(params)),
    ).toEqual(params);
    expect(
      plainJsonParams({ ...JSON_HEADERS, accept: 'application/json' }, body({ query: '{ who }' })),
    ).toEqual({ query: '{ who }' });
    // yoga reads the first listed content type, and an accept header without spaces and in any case.
    for (const headers of [
      { 'content-type': 'application/json, text/plain' },
      { ...JSON_HEADERS, accept: 'Application/JSON; Charset=UTF-8' },
    ]) {
      expect(plainJsonParams(headers, body({ query: '{ who }' }))).toEqual({ query: '{ who }' });
    }
  });

  it('leaves everything else to yoga', () => {
    const plain = { query: '{ who }' };
    expect(plainJsonParams({ 'content-type': 'application/graphql' }, body(plain))).toBeNull();
    expect(plainJsonParams({}, body(plain))).toBeNull();
    expect(plainJsonParams({ ...JSON_HEADERS, accept: 'text/event-stream' }, body(plain))).toBeNull();
    expect(
      plainJsonParams({ ...JSON_HEADERS, accept: 'application/graphql-response+json' }, body(plain)),
    ).toBeNull();
    expect(plainJsonParams({ ...JSON_HEADERS, origin: 'https://example.org' }, body(plain))).toBeNull();
    // Content types yoga does not read as JSON (415), an answer in another charset (406).
    expect(plainJsonParams({ 'content-type': 'Application/JSON' }, body(plain))).toBeNull();
    expect(plainJsonParams({ 'content-type': 'application/json ; charset=utf-8' }, body(plain))).toBeNull();
    expect(plainJsonParams({ 'content-type': 'text/plain, application/json' }, body(plain))).toBeNull();
    expect(
      plainJsonParams({ ...JSON_HEADERS, accept: 'application/json; charset=iso-8859-1' }, body(plain)),
    ).toBeNull();
    expect(plainJsonParams(JSON_HEADERS, Buffer.from('{"query":'))).toBeNull();
    expect(plainJsonParams(JSON_HEADERS, body([plain]))).toBeNull();
    expect(plainJsonParams(JSON_HEADERS, body({ query: 1 }))).toBeNull();
    expect(plainJsonParams(JSON_HEADERS, body({ ...plain, other: 1 }))).toBeNull();
    expect(plainJsonParams(JSON_HEADERS, body({ ...plain, variables: '{"a":1}' }))).toBeNull();
    expect(plainJsonParams(JSON_HEADERS, body({ ...plain, variables: [1] }))).toBeNull();
    expect(plainJsonParams(JSON_HEADERS, body({ ...plain, operationName: 3 }))).toBeNull();
  });
});

describe('the JSON fast path', () => {
  it.each([
    ['a query with variables', { query: 'query Q($n: String!) { hello(name: $n) }', variables: { n: 'bo' } }],
    ['the context', { query: '{ who big }' }],
    ['a mutation', { query: 'mutation { touch }' }],
    ['the operation named among several', { query: 'query A { who } query B { big }', operationName: 'B' }],
    ['an error with a code, beside data', { query: '{ who bad }' }],
    ['an unexpected error, masked', { query: '{ crash }' }],
    ['a plugin stopping execution', { query: 'query Refused { who }', operationName: 'Refused' }],
    ['a plugin failing', { query: 'query Broken { who }', operationName: 'Broken' }],
    [
      'variables of the wrong type',
      { query: 'query Q($n: String!) { hello(name: $n) }', variables: { n: 3 } },
    ],
    ['a missing variable', { query: 'query Q($n: String!) { hello(name: $n) }' }],
  ])('executes %s and answers as yoga does', async (_name, body) => {
    const { fastAnswer, yogaAnswer } = await both(body);
    expect(fastAnswer).not.toBeNull();
    expect(fastAnswer).toEqual(yogaAnswer);
  });

  it.each([
    ['a syntax error', { query: '{ who' }],
    ['a validation error', { query: '{ nope }' }],
    ['no operation by that name', { query: 'query A { who }', operationName: 'B' }],
    ['several operations and no name', { query: 'query A { who } query B { big }' }],
    ['a subscription', { query: 'subscription { who }' }],
  ])('leaves %s to yoga, executing nothing', async (_name, body) => {
    const { fastAnswer, yogaAnswer } = await both(body);
    expect(fastAnswer).toBeNull();
    expect(yogaAnswer.text).toContain('"errors"');
  });
});
