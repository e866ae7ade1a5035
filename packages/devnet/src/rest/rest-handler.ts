import type { ServerResponse } from 'node:http';
import type { DevnetChain } from '../chain/chain.types.js';
import { RpcError } from '../rpc/rpc-errors.js';
import type { Faults } from '../rpc/rpc-faults.js';
import { toJsonText } from '../rpc/rpc-json.js';
import type { RpcMethods } from '../rpc/rpc-methods.js';

export interface RestDeps {
  chain: DevnetChain;
  methods: RpcMethods;
  faults: Faults;
}

type Format = 'bin' | 'hex' | 'json';

/** The most headers one `/rest/headers` request returns, as in bitcoind. */
const MAX_REST_HEADERS = 2000;
const HASH = /^[0-9a-fA-F]{64}$/;

function text(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`${message}\r\n`);
}

function sendBytes(res: ServerResponse, format: Format, bytes: Buffer, json: () => unknown): void {
  if (format === 'bin') res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(bytes);
  else if (format === 'hex')
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${bytes.toString('hex')}\n`);
  else res.writeHead(200, { 'Content-Type': 'application/json' }).end(`${toJsonText(json())}\n`);
}

function splitFormat(part: string): { stem: string; format: Format | undefined } {
  const dot = part.lastIndexOf('.');
  if (dot < 0) return { stem: part, format: undefined };
  const ext = part.slice(dot + 1);
  const format = ext === 'bin' || ext === 'hex' || ext === 'json' ? ext : undefined;
  return { stem: part.slice(0, dot), format };
}

/**
 * bitcoind's `-rest` interface: `/rest/block/<hash>.<bin|hex|json>`, `/rest/block/notxdetails/…`,
 * `/rest/headers/<count>/<hash>.<ext>` and `/rest/headers/<hash>.<ext>?count=n`,
 * `/rest/blockhashbyheight/<height>.<ext>`, `/rest/tx/<txid>.<ext>`, `/rest/chaininfo.json`.
 * No authentication, as in bitcoind. Errors are plain text with 400/404, as bitcoind sends them.
 */
export function createRestHandler({ chain, methods, faults }: RestDeps) {
  const json = (method: string, params: unknown[]) => () => methods.call(method, params);

  return (res: ServerResponse, url: URL) => {
    if (faults.get().warmup) {
      text(res, 503, 'Service temporarily unavailable: Loading block index...');
      return;
    }
    const parts = url.pathname.split('/').slice(2);
    const [kind] = parts;
    const last = splitFormat(parts[parts.length - 1] ?? '');
    if (last.format === undefined) {
      text(res, 404, 'output format not found (available: bin, hex, json)');
      return;
    }
    const format = last.format;
    try {
      if (kind === 'block' && (parts.length === 2 || (parts.length === 3 && parts[1] === 'notxdetails'))) {
        if (!HASH.test(last.stem)) return text(res, 400, `Invalid hash: ${last.stem}`);
        const hash = last.stem.toLowerCase();
        const block = chain.getBlock(hash);
        if (!block) return text(res, 404, `${hash} not found`);
        const verbosity = parts.length === 3 ? 1 : 2;
        return sendBytes(
          res,
          format,
          faults.blockBytes(hash, block.raw),
          json('getblock', [hash, verbosity]),
        );
      }
      if (kind === 'headers' && (parts.length === 2 || parts.length === 3)) {
        const countText = parts.length === 3 ? parts[1]! : (url.searchParams.get('count') ?? '5');
        const count = /^\d+$/.test(countText) ? Number(countText) : Number.NaN;
        if (!(count >= 1 && count <= MAX_REST_HEADERS)) {
          return text(
            res,
            400,
            `Header count is invalid or out of acceptable range (1-${MAX_REST_HEADERS}): ${countText}`,
          );
        }
        if (!HASH.test(last.stem)) return text(res, 400, `Invalid hash: ${last.stem}`);
        const headers = headersFrom(chain, last.stem.toLowerCase(), count);
        const bytes = Buffer.concat(headers.map((h) => chain.getBlock(h)!.raw.subarray(0, 80)));
        return sendBytes(res, format, bytes, () =>
          headers.map((h) => methods.call('getblockheader', [h, true])),
        );
      }
      if (kind === 'blockhashbyheight' && parts.length === 2) {
        const height = /^\d+$/.test(last.stem) ? Number(last.stem) : -1;
        if (height < 0) return text(res, 400, `Invalid height: ${last.stem}`);
        const hash = chain.hashAtHeight(height);
        if (hash === undefined) return text(res, 404, 'Block height out of range');
        return sendBytes(res, format, Buffer.from(hash, 'hex').reverse(), () => ({ blockhash: hash }));
      }
      if (kind === 'tx' && parts.length === 2) {
        if (!HASH.test(last.stem)) return text(res, 400, `Invalid hash: ${last.stem}`);
        const txid = last.stem.toLowerCase();
        const found = chain.getTransaction(txid);
        if (!found) return text(res, 404, `${txid} not found`);
        return sendBytes(res, format, found.raw, json('getrawtransaction', [txid, 1]));
      }
      if (kind === 'chaininfo' && parts.length === 1 && format === 'json') {
        return sendBytes(res, format, Buffer.alloc(0), json('getblockchaininfo', []));
      }
      text(res, 400, `Invalid URI format. Expected /rest/<endpoint>`);
    } catch (err) {
      text(res, err instanceof RpcError ? 400 : 500, err instanceof Error ? err.message : String(err));
    }
  };
}

/** Up to `count` active-chain hashes starting at `hash`; empty when `hash` is unknown. */
function headersFrom(chain: DevnetChain, hash: string, count: number): string[] {
  const start = chain.getBlock(hash);
  if (!start) return [];
  const hashes = [start.hash];
  if (!start.active) return hashes;
  for (let h = start.height + 1; hashes.length < count; h++) {
    const next = chain.hashAtHeight(h);
    if (next === undefined) break;
    hashes.push(next);
  }
  return hashes;
}
