import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DevnetNode, startDevnetNode } from '@minetrace/devnet';
import { RetryableError } from '@minetrace/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcAuthError, RpcError, RpcUnavailableError } from './rpc.errors.js';
import { BitcoindRpcClient } from './rpc-client.js';

describe('BitcoindRpcClient against the devnet node over HTTP', () => {
  let node: DevnetNode;
  let datadir: string;
  beforeAll(async () => {
    datadir = await mkdtemp(path.join(tmpdir(), 'minetrace-rpc-'));
    node = await startDevnetNode({ zmqEndpoint: null, datadir });
    node.chain.generateToAddress(3, 'bcrt1q6rhpng9evdsfnn833a4f4vej0asu6dk5srld6x');
  });
  afterAll(async () => {
    await node?.stop();
    await rm(datadir, { recursive: true, force: true });
  });
  afterEach(() => node.faults.clear());

  it('authenticates with credentials in the URL and reads the chain', async () => {
    const rpc = new BitcoindRpcClient({ url: node.rpcUrl });
    const info = await rpc.getBlockchainInfo();
    expect(info.chain).toBe('regtest');
    expect(info.blocks).toBe(3);
    expect(await rpc.getBlockHash(3)).toBe(node.chain.tipHash());
  });

  it('authenticates with the cookie file', async () => {
    const bare = new URL(node.rpcUrl);
    bare.username = '';
    bare.password = '';
    const rpc = new BitcoindRpcClient({ url: bare.toString(), cookieFile: node.cookiePath! });
    expect((await rpc.getBlockchainInfo()).blocks).toBe(3);
  });

  it('reports refused credentials as an auth error', async () => {
    const wrong = new URL(node.rpcUrl);
    wrong.password = 'wrong';
    await expect(new BitcoindRpcClient({ url: wrong.toString() }).getBlockchainInfo()).rejects.toThrow(
      RpcAuthError,
    );
  });

  it('serves the same raw block over REST and over getblock hash 0', async () => {
    const hash = node.chain.tipHash();
    const viaRpc = await new BitcoindRpcClient({ url: node.rpcUrl }).getBlockRaw(hash);
    const viaRest = await new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl }).getBlockRaw(
      hash,
    );
    expect(viaRest.equals(viaRpc)).toBe(true);
    expect(viaRpc.equals(node.chain.getBlock(hash)!.raw)).toBe(true);
  });

  it('turns a node error into RpcError with its code, reading the body of an HTTP error', async () => {
    const rpc = new BitcoindRpcClient({ url: node.rpcUrl });
    const error = await rpc.getBlockHash(99).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(-8);
    const missing = await rpc.call('getblock', ['00'.repeat(32), 0]).catch((err: unknown) => err);
    expect((missing as RpcError).code).toBe(-5);
  });

  it('returns batch results in call order, failures included', async () => {
    const rpc = new BitcoindRpcClient({ url: node.rpcUrl });
    const results = await rpc.batch<string>([
      { method: 'getblockhash', params: [2] },
      { method: 'getblockhash', params: [42] },
      { method: 'getblockhash', params: [0] },
    ]);
    expect(results[0]).toEqual({ ok: true, result: node.chain.hashAtHeight(2) });
    expect(results[1]!.ok).toBe(false);
    expect(results[2]).toEqual({ ok: true, result: node.chain.hashAtHeight(0) });
  });

  it('treats warming up (-28), a full work queue (503) and a refused connection as retryable', async () => {
    const rpc = new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl });
    node.faults.set({ warmup: true });
    const warming = await rpc.getBlockchainInfo().catch((err: unknown) => err);
    expect(warming).toBeInstanceOf(RpcUnavailableError);
    expect((warming as RpcUnavailableError).details.code).toBe(-28);
    node.faults.clear();

    node.faults.set({ busy: 2 });
    await expect(rpc.getBlockchainInfo()).rejects.toThrow(RetryableError);
    await expect(rpc.getBlockRaw(node.chain.tipHash())).rejects.toThrow(RetryableError);
    expect((await rpc.getBlockchainInfo()).blocks).toBe(3);

    const closed = new BitcoindRpcClient({ url: 'http://u:p@127.0.0.1:1/' });
    await expect(closed.getBlockchainInfo()).rejects.toThrow(RpcUnavailableError);
  });
});
