import { readFile } from 'node:fs/promises';
import { RpcAuthError, RpcError, RpcProtocolError, RpcUnavailableError } from './rpc.errors.js';

/** Options of `BitcoindRpcClient`. */
export interface RpcClientOptions {
  /** JSON-RPC URL; `http://user:password@host:port` carries basic-auth credentials. */
  url: string;
  /** bitcoind's `.cookie` file, used when the URL has no credentials; read again after a 401. */
  cookieFile?: string;
  /** REST root (`-rest=1`), with or without `/rest`; when set, raw blocks come from `/rest/block/<hash>.bin`. */
  restUrl?: string;
  /** Per-request timeout. @defaultValue 30000 */
  timeoutMs?: number;
}

/** One item of a batch reply, in the order of the calls. */
export type RpcBatchResult<T = unknown> = { ok: true; result: T } | { ok: false; error: RpcError };

/** Fields of `getblockchaininfo` the indexer uses. */
export interface BlockchainInfo {
  chain: string;
  blocks: number;
  headers: number;
  bestblockhash: string;
  initialblockdownload: boolean;
  pruned: boolean;
}

interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string } | null;
  id?: unknown;
}

const WARMING_UP = -28;
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * A bitcoind JSON-RPC (and REST) client over fetch. Reads the JSON body whatever the HTTP status
 * (bitcoind answers errors with 500/404 and a JSON body); maps `-28`, 503 and connection failures
 * to `RpcUnavailableError` (retry), other node errors to `RpcError{code}`.
 */
export class BitcoindRpcClient {
  readonly #url: string;
  readonly #restUrl: string | undefined;
  readonly #cookieFile: string | undefined;
  readonly #timeoutMs: number;
  #authorization: string | undefined;
  #nextId = 1;

  constructor(options: RpcClientOptions) {
    const url = new URL(options.url);
    if (url.username !== '') {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.#authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      // fetch refuses URLs that carry credentials.
      url.username = '';
      url.password = '';
    }
    this.#url = url.toString();
    // Accept both `http://host:port` and `http://host:port/rest` as the REST root.
    this.#restUrl = options.restUrl?.replace(/\/+$/, '').replace(/\/rest$/, '');
    this.#cookieFile = options.cookieFile;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Calls one method; resolves to its `result`. */
  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const id = this.#nextId++;
    const reply = await this.#post(method, { jsonrpc: '1.0', id, method, params });
    if (Array.isArray(reply) || typeof reply !== 'object' || reply === null) {
      throw new RpcProtocolError(`${method}: reply is not a JSON-RPC object`);
    }
    return unwrap<T>(reply as RpcReply, method);
  }

  /** Calls several methods in one HTTP request; results come back in the order of `calls`. */
  async batch<T = unknown>(calls: { method: string; params?: unknown[] }[]): Promise<RpcBatchResult<T>[]> {
    if (calls.length === 0) return [];
    const first = this.#nextId;
    this.#nextId += calls.length;
    const body = calls.map((c, i) => ({
      jsonrpc: '1.0',
      id: first + i,
      method: c.method,
      params: c.params ?? [],
    }));
    const reply = await this.#post(`batch of ${calls.length}`, body);
    if (!Array.isArray(reply)) throw new RpcProtocolError('batch: reply is not a JSON array');
    const byId = new Map<unknown, RpcReply>();
    for (const item of reply as RpcReply[]) byId.set(item?.id, item);
    return calls.map((c, i): RpcBatchResult<T> => {
      const item = byId.get(first + i);
      if (item === undefined) throw new RpcProtocolError(`batch: no reply for ${c.method} (id ${first + i})`);
      try {
        return { ok: true, result: unwrap<T>(item, c.method) };
      } catch (err) {
        if (err instanceof RpcError) return { ok: false, error: err };
        throw err;
      }
    });
  }

  getBlockchainInfo(): Promise<BlockchainInfo> {
    return this.call<BlockchainInfo>('getblockchaininfo');
  }

  getBlockHash(height: number): Promise<string> {
    return this.call<string>('getblockhash', [height]);
  }

  /** The block as serialized on the wire: REST `.bin` when a REST URL is set, else `getblock hash 0`. */
  async getBlockRaw(hash: string): Promise<Buffer> {
    if (this.#restUrl === undefined) {
      return Buffer.from(await this.call<string>('getblock', [hash, 0]), 'hex');
    }
    const url = `${this.#restUrl}/rest/block/${hash}.bin`;
    const response = await this.#fetch(url, { method: 'GET' }, `GET ${url}`);
    if (response.status === 404) throw new RpcError(-5, `block ${hash} not found (REST)`, 'rest/block');
    if (response.status === 503) throw new RpcUnavailableError(`REST ${url}: HTTP 503`, { status: 503 });
    if (!response.ok) throw new RpcProtocolError(`REST ${url}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  async #post(what: string, body: unknown): Promise<unknown> {
    let response = await this.#send(what, body);
    if ((response.status === 401 || response.status === 403) && this.#cookieFile !== undefined) {
      // The cookie changes each time bitcoind restarts: read it again once.
      this.#authorization = undefined;
      response = await this.#send(what, body);
    }
    if (response.status === 401 || response.status === 403) {
      throw new RpcAuthError(
        `bitcoind refused the credentials (HTTP ${response.status}); check BITCOIND_RPC_URL or BITCOIND_RPC_COOKIE`,
      );
    }
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      if (response.status === 503) {
        throw new RpcUnavailableError(`${what}: node busy (HTTP 503)`, { status: 503 });
      }
      throw new RpcProtocolError(`${what}: HTTP ${response.status} with a body that is not JSON`, {
        cause: err,
      });
    }
  }

  async #send(what: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const authorization = await this.#auth();
    if (authorization !== undefined) headers.authorization = authorization;
    return this.#fetch(this.#url, { method: 'POST', headers, body: JSON.stringify(body) }, what);
  }

  async #fetch(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      const code = errorCode(err);
      if (code !== undefined && (UNAVAILABLE_CODES.has(code) || code === 'TimeoutError')) {
        throw new RpcUnavailableError(
          `${what}: node unreachable at ${new URL(url).host} (${code})`,
          {},
          { cause: err },
        );
      }
      throw new RpcUnavailableError(
        `${what}: request failed (${(err as Error).message})`,
        {},
        { cause: err },
      );
    }
  }

  async #auth(): Promise<string | undefined> {
    if (this.#authorization !== undefined || this.#cookieFile === undefined) return this.#authorization;
    let cookie: string;
    try {
      cookie = (await readFile(this.#cookieFile, 'utf8')).trim();
    } catch (err) {
      throw new RpcAuthError(`cannot read the bitcoind cookie file ${this.#cookieFile}`, { cause: err });
    }
    this.#authorization = `Basic ${Buffer.from(cookie).toString('base64')}`;
    return this.#authorization;
  }
}

function unwrap<T>(reply: RpcReply, method: string): T {
  if (reply.error !== undefined && reply.error !== null) {
    const { code, message } = reply.error;
    if (code === WARMING_UP) throw new RpcUnavailableError(`${method}: ${message}`, { code });
    throw new RpcError(code, message, method);
  }
  if (!('result' in reply)) throw new RpcProtocolError(`${method}: reply has neither result nor error`);
  return reply.result as T;
}

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (name === 'TimeoutError') return 'TimeoutError';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
