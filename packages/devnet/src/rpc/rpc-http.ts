import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RPC_CODES, RpcError } from './rpc-errors.js';
import { toJsonText } from './rpc-json.js';
import type { RpcMethods } from './rpc-methods.js';

/** Accepted `user:password` pairs (rpcuser/rpcpassword and the cookie's `__cookie__:<hex>`). */
export type Credentials = readonly string[];

export interface RpcHttpDeps {
  methods: RpcMethods;
  credentials: () => Credentials;
}

interface Reply {
  status: number;
  /** Undefined for a JSON-RPC 2.0 notification, which gets no reply. */
  body: Record<string, unknown> | undefined;
}

function isAuthorized(header: string | undefined, credentials: Credentials): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'));
  return credentials.some((pair) => {
    const expected = Buffer.from(pair);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

function errorStatus(code: number): number {
  if (code === RPC_CODES.methodNotFound) return 404;
  if (code === RPC_CODES.invalidRequest) return 400;
  return 500;
}

/**
 * Answers one request object the way bitcoind's `JSONRPCExecOne` does: legacy (1.0) replies carry
 * both `result` and `error`; 2.0 replies carry exactly one of them and never fail at the HTTP level.
 */
function executeOne(methods: RpcMethods, request: unknown): Reply {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return {
      status: 400,
      body: {
        result: null,
        error: { code: RPC_CODES.invalidRequest, message: 'Invalid Request object' },
        id: null,
      },
    };
  }
  const req = request as Record<string, unknown>;
  const v2 = req.jsonrpc === '2.0';
  const id = req.id ?? null;
  const notification = v2 && !Object.hasOwn(req, 'id');
  const fail = (code: number, message: string): Reply => {
    if (notification) return { status: 204, body: undefined };
    if (v2) return { status: 200, body: { jsonrpc: '2.0', error: { code, message }, id } };
    return { status: errorStatus(code), body: { result: null, error: { code, message }, id } };
  };
  if (typeof req.method !== 'string') return fail(RPC_CODES.invalidRequest, 'Method must be a string');
  try {
    const result = methods.call(req.method, req.params);
    if (notification) return { status: 204, body: undefined };
    return {
      status: 200,
      body: v2 ? { jsonrpc: '2.0', result: result ?? null, id } : { result: result ?? null, error: null, id },
    };
  } catch (err) {
    if (err instanceof RpcError) return fail(err.code, err.message);
    return fail(RPC_CODES.miscError, err instanceof Error ? err.message : String(err));
  }
}

function send(res: ServerResponse, status: number, text: string | undefined): void {
  if (text === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(`${text}\n`);
}

/** Handles `POST /` (and `/wallet/<name>`): auth, parsing, single and batch requests. */
export function createRpcHttpHandler({ methods, credentials }: RpcHttpDeps) {
  return (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    if (!isAuthorized(req.headers.authorization, credentials())) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' }).end();
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      const error = { code: RPC_CODES.parseError, message: 'Parse error' };
      send(res, 500, toJsonText({ result: null, error, id: null }));
      return;
    }
    if (Array.isArray(parsed)) {
      const replies = parsed.map((item) => executeOne(methods, item).body).filter((b) => b !== undefined);
      send(res, 200, toJsonText(replies));
      return;
    }
    const reply = executeOne(methods, parsed);
    send(res, reply.status, reply.body === undefined ? undefined : toJsonText(reply.body));
  };
}
