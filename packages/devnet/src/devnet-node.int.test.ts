import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBlock } from '@minetrace/shared/chain';
import { afterEach, describe, expect, it } from 'vitest';
import { Subscriber } from 'zeromq';
import { buildBlock } from './block/block-builder.js';
import { createDevnetChain } from './chain/index.js';
import { type DevnetNode, startDevnetNode } from './devnet-node.js';
import { createWallet } from './wallet/index.js';

const ADDRESS = 'bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202';

const nodes: DevnetNode[] = [];
const subscribers: Subscriber[] = [];

afterEach(async () => {
  for (const sub of subscribers.splice(0)) sub.close();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function start(options: Parameters<typeof startDevnetNode>[0] = {}): Promise<DevnetNode> {
  const node = await startDevnetNode(options);
  nodes.push(node);
  return node;
}

function endpoint(node: DevnetNode): string {
  const url = new URL(node.rpcUrl);
  return `http://${url.host}/`;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function post(node: DevnetNode, body: unknown, auth = basic(node.rpcUser, node.rpcPassword)) {
  const res = await fetch(endpoint(node), {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const isJson = res.headers.get('content-type') === 'application/json';
  return { status: res.status, text, json: isJson ? JSON.parse(text) : undefined };
}

async function rpc<T = unknown>(node: DevnetNode, method: string, params: unknown[] = []): Promise<T> {
  const { json } = await post(node, { jsonrpc: '1.0', id: 'test', method, params });
  if (json.error) throw new Error(`${method}: ${json.error.code} ${json.error.message}`);
  return json.result as T;
}

interface ZmqMessage {
  topic: string;
  body: Buffer;
  seq: number;
  frames: number;
}

/** Subscribes to every topic and collects messages until closed. */
async function subscribe(node: DevnetNode) {
  const sub = new Subscriber();
  subscribers.push(sub);
  sub.connect(node.zmqUrl!);
  for (const topic of ['rawblock', 'hashblock', 'rawtx', 'hashtx', 'sequence']) sub.subscribe(topic);
  const messages: ZmqMessage[] = [];
  void (async () => {
    try {
      for await (const frames of sub) {
        messages.push({
          topic: frames[0]!.toString(),
          body: Buffer.from(frames[1]!),
          seq: Buffer.from(frames[2]!).readUInt32LE(0),
          frames: frames.length,
        });
      }
    } catch {
      // closed
    }
  })();
  // PUB drops messages until the subscription has reached it (ZMQ's slow joiner).
  await new Promise((resolve) => setTimeout(resolve, 300));
  const waitFor = async (predicate: (all: ZmqMessage[]) => boolean) => {
    const deadline = Date.now() + 5000;
    while (!predicate(messages)) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${messages.map((m) => m.topic).join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { messages, waitFor };
}

describe('JSON-RPC over HTTP', () => {
  it('accepts rpcuser/rpcpassword and rejects wrong or missing credentials with 401', async () => {
    const node = await start({ rpcUser: 'alice', rpcPassword: 'secret', zmqEndpoint: null });
    expect(new URL(node.rpcUrl).username).toBe('alice');
    expect((await post(node, { method: 'getblockcount' }, basic('alice', 'secret'))).json.result).toBe(0);
    expect((await post(node, { method: 'getblockcount' }, basic('alice', 'wrong'))).status).toBe(401);
    const res = await fetch(endpoint(node), { method: 'POST', body: '{"method":"getblockcount"}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('writes a cookie under <datadir>/regtest, accepts it, and removes it on stop', async () => {
    const datadir = await mkdtemp(join(tmpdir(), 'devnet-cookie-'));
    try {
      const node = await start({ datadir, zmqEndpoint: null });
      expect(node.cookiePath).toBe(join(datadir, 'regtest', '.cookie'));
      const cookie = await readFile(node.cookiePath!, 'utf8');
      expect(cookie).toMatch(/^__cookie__:[0-9a-f]{64}$/);
      const [user, password] = cookie.split(':') as [string, string];
      const reply = await post(node, { method: 'getbestblockhash', id: 1 }, basic(user, password));
      // The regtest genesis hash, as every bitcoind prints it.
      expect(reply.json.result).toBe('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
      await node.stop();
      await expect(stat(node.cookiePath!)).rejects.toThrow();
    } finally {
      await rm(datadir, { recursive: true, force: true });
    }
  });

  it('answers 1.0 errors with bitcoind HTTP statuses and 2.0 errors with 200 and no result', async () => {
    const node = await start({ zmqEndpoint: null });
    const unknown = await post(node, { jsonrpc: '1.0', id: 7, method: 'nosuchmethod' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      result: null,
      error: { code: -32601, message: 'Method not found' },
      id: 7,
    });

    const outOfRange = await post(node, { jsonrpc: '1.0', id: 8, method: 'getblockhash', params: [5] });
    expect(outOfRange.status).toBe(500);
    expect(outOfRange.json.error.code).toBe(-8);

    const v2 = await post(node, { jsonrpc: '2.0', id: 9, method: 'getblockhash', params: [5] });
    expect(v2.status).toBe(200);
    expect(v2.json).not.toHaveProperty('result');
    expect(v2.json).toMatchObject({ jsonrpc: '2.0', id: 9, error: { code: -8 } });

    const v2ok = await post(node, { jsonrpc: '2.0', id: 10, method: 'getblockcount' });
    expect(v2ok.json).toEqual({ jsonrpc: '2.0', result: 0, id: 10 });

    expect((await post(node, '[1')).status).toBe(500);
    const invalid = await post(node, '"not an object"');
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.code).toBe(-32600);
  });

  it('answers a batch with 200 and one reply per request, failures included', async () => {
    const node = await start({ zmqEndpoint: null });
    const reply = await post(node, [
      { jsonrpc: '1.0', id: 1, method: 'getblockcount' },
      { jsonrpc: '1.0', id: 2, method: 'nosuchmethod' },
      { jsonrpc: '1.0', id: 3, method: 'getblockhash', params: [1] },
      { jsonrpc: '1.0', id: 4, method: 'getblockhash', params: [0] },
    ]);
    expect(reply.status).toBe(200);
    expect(reply.json).toHaveLength(4);
    expect(reply.json[0]).toEqual({ result: 0, error: null, id: 1 });
    expect(reply.json[1].error.code).toBe(-32601);
    expect(reply.json[2].error.code).toBe(-8);
    expect(reply.json[3].result).toBe('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
  });

  it('serves blocks as hex that round-trips to the REST bytes and decodes to the same hash', async () => {
    const node = await start({ zmqEndpoint: null });
    const hashes = await rpc<string[]>(node, 'generatetoaddress', [3, ADDRESS]);
    expect(await rpc(node, 'getblockcount')).toBe(3);
    for (const hash of hashes) {
      const hex = await rpc<string>(node, 'getblock', [hash, 0]);
      const res = await fetch(`${node.restUrl}/block/${hash}.bin`);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.toString('hex')).toBe(hex);
      expect(decodeBlock(bytes, 'regtest').header.hash.toString('hex')).toBe(hash);
    }
    const headers = await fetch(`${node.restUrl}/headers/5/${hashes[0]}.bin`);
    const headerBytes = Buffer.from(await headers.arrayBuffer());
    // Three headers exist from the first mined block to the tip; REST returns what exists.
    expect(headerBytes.length).toBe(3 * 80);
    expect(headerBytes.subarray(160).toString('hex')).toBe(
      await rpc(node, 'getblockheader', [hashes[2], false]),
    );
    expect((await fetch(`${node.restUrl}/block/${'ab'.repeat(32)}.bin`)).status).toBe(404);

    const header = await rpc<Record<string, unknown>>(node, 'getblockheader', [hashes[1], true]);
    expect(header).toMatchObject({
      height: 2,
      confirmations: 2,
      previousblockhash: hashes[0],
      nextblockhash: hashes[2],
    });
    const verbose = await rpc<{ tx: Array<{ vout: Array<{ scriptPubKey: { address: string } }> }> }>(
      node,
      'getblock',
      [hashes[0], 2],
    );
    expect(verbose.tx[0]!.vout[0]!.scriptPubKey.address).toBe(ADDRESS);
  });

  it('prints gettxoutsetinfo total_amount with eight decimals, as bitcoind does', async () => {
    const node = await start({ zmqEndpoint: null });
    await rpc(node, 'generatetoaddress', [3, ADDRESS]);
    const { text } = await post(node, { jsonrpc: '1.0', id: 1, method: 'gettxoutsetinfo' });
    // Three regtest coinbases of 50 BTC; the genesis output is not in the UTXO set.
    expect(text).toContain('"total_amount":150.00000000');
    const info = await rpc<Record<string, unknown>>(node, 'getblockchaininfo');
    expect(info).toMatchObject({
      chain: 'regtest',
      blocks: 3,
      headers: 3,
      initialblockdownload: false,
      pruned: false,
    });
  });

  it('reports confirmations -1 for an invalidated block and reconnects it on reconsider', async () => {
    const node = await start({ zmqEndpoint: null });
    const hashes = await rpc<string[]>(node, 'generatetoaddress', [3, ADDRESS]);
    await rpc(node, 'invalidateblock', [hashes[1]]);
    expect(await rpc(node, 'getblockcount')).toBe(1);
    expect((await rpc<{ confirmations: number }>(node, 'getblockheader', [hashes[2]])).confirmations).toBe(
      -1,
    );
    const tips = await rpc<Array<{ status: string }>>(node, 'getchaintips');
    expect(tips.map((t) => t.status)).toContain('invalid');
    await rpc(node, 'reconsiderblock', [hashes[1]]);
    expect(await rpc(node, 'getbestblockhash')).toBe(hashes[2]);
  });

  it('relays a signed transaction and finds it by txid and block hash', async () => {
    const chain = createDevnetChain();
    const node = await start({ chain, zmqEndpoint: null });
    const wallet = createWallet('rpc-test', { chain });
    const mine = wallet.newAddress('p2wpkh');
    await rpc(node, 'generatetoaddress', [101, mine.address]);
    const tx = wallet.send({ to: [{ address: ADDRESS, value: 1_000_000n }] });
    expect(await rpc(node, 'sendrawtransaction', [tx.raw.toString('hex')])).toBe(tx.txid);
    expect(await rpc(node, 'getrawmempool')).toEqual([tx.txid]);
    const [blockhash] = await rpc<string[]>(node, 'generatetoaddress', [1, ADDRESS]);
    expect(await rpc(node, 'getrawtransaction', [tx.txid])).toBe(tx.raw.toString('hex'));
    const verbose = await rpc<Record<string, unknown>>(node, 'getrawtransaction', [tx.txid, true, blockhash]);
    expect(verbose).toMatchObject({ txid: tx.txid, blockhash, confirmations: 1, in_active_chain: true });
    const bad = await post(node, { id: 1, method: 'getrawtransaction', params: ['00'.repeat(32)] });
    expect(bad.json.error.code).toBe(-5);
  });
});

describe('regtest mining calls', () => {
  it('accepts a block through submitblock and reports a resubmission as duplicate', async () => {
    const node = await start({ zmqEndpoint: null });
    const [parent] = await rpc<string[]>(node, 'generatetoaddress', [1, ADDRESS]);
    const header = await rpc<{ time: number }>(node, 'getblockheader', [parent]);
    const block = buildBlock({
      prevHash: parent!,
      height: 2,
      time: header.time + 1,
      coinbaseOutputs: ADDRESS,
    });
    expect(await rpc(node, 'submitblock', [block.raw.toString('hex')])).toBeNull();
    expect(await rpc(node, 'getbestblockhash')).toBe(block.hash);
    expect(await rpc(node, 'submitblock', [block.raw.toString('hex')])).toBe('duplicate');
    const garbage = await post(node, { id: 1, method: 'submitblock', params: ['zz'] });
    expect(garbage.json.error.code).toBe(-22);
  });

  it('mines exactly the given transactions with generateblock, by txid or hex', async () => {
    const chain = createDevnetChain();
    const node = await start({ chain, zmqEndpoint: null });
    const wallet = createWallet('generateblock', { chain });
    await rpc(node, 'generatetoaddress', [101, wallet.newAddress('p2wpkh').address]);
    const first = wallet.send({ to: [{ address: ADDRESS, value: 1_000_000n }] });
    const second = wallet.send({ to: [{ address: ADDRESS, value: 2_000_000n }] });
    await rpc(node, 'sendrawtransaction', [first.raw.toString('hex')]);
    await rpc(node, 'sendrawtransaction', [second.raw.toString('hex')]);
    const { hash } = await rpc<{ hash: string }>(node, 'generateblock', [ADDRESS, [second.txid]]);
    const block = await rpc<{ tx: string[] }>(node, 'getblock', [hash, 1]);
    expect(block.tx.slice(1)).toEqual([second.txid]);
    expect(await rpc(node, 'getrawmempool')).toEqual([first.txid]);
    const bad = await post(node, { id: 1, method: 'generatetoaddress', params: [1, 'not-an-address'] });
    expect(bad.json.error).toEqual({ code: -5, message: 'Error: Invalid address' });
  });
});

describe('faults', () => {
  it('answers -28 while warming up and 503 while busy, then recovers', async () => {
    const node = await start({ zmqEndpoint: null });
    node.faults.set({ warmup: true });
    const warm = await post(node, { id: 1, method: 'getblockcount' });
    expect(warm.json.error).toEqual({ code: -28, message: 'Loading block index...' });
    node.faults.set({ warmup: false, busy: 2 });
    expect((await post(node, { id: 1, method: 'getblockcount' })).status).toBe(503);
    expect((await fetch(`${node.restUrl}/chaininfo.json`)).status).toBe(503);
    expect((await post(node, { id: 1, method: 'getblockcount' })).json.result).toBe(0);
  });

  it('serves corrupted bytes for a block marked malformed', async () => {
    const node = await start({ zmqEndpoint: null });
    const [hash] = await rpc<string[]>(node, 'generatetoaddress', [1, ADDRESS]);
    const good = await rpc<string>(node, 'getblock', [hash, 0]);
    node.faults.set({ malformedBlock: hash! });
    const bad = Buffer.from(await (await fetch(`${node.restUrl}/block/${hash}.bin`)).arrayBuffer());
    expect(bad.toString('hex')).not.toBe(good);
    expect(await rpc<string>(node, 'getblock', [hash, 0])).toBe(bad.toString('hex'));
    expect(() => decodeBlock(bad, 'regtest')).toThrow();
  });
});

describe('restart', () => {
  it('serves the same chain again on the same port after stop', async () => {
    const chain = createDevnetChain();
    const first = await startDevnetNode({ chain, rpcUser: 'u', rpcPassword: 'p' });
    const hashes = await rpc<string[]>(first, 'generatetoaddress', [2, ADDRESS]);
    const { rpcPort } = first;
    const zmqUrl = first.zmqUrl!;
    await first.stop();
    await expect(fetch(endpoint(first))).rejects.toThrow();
    const second = await start({ chain, rpcPort, rpcUser: 'u', rpcPassword: 'p', zmqEndpoint: zmqUrl });
    expect(second.rpcUrl).toBe(first.rpcUrl);
    expect(second.zmqUrl).toBe(zmqUrl);
    expect(await rpc(second, 'getbestblockhash')).toBe(hashes[1]);
  });
});

describe('ZMQ', () => {
  it('publishes three frames per message with per-topic sequence numbers from 0', async () => {
    const node = await start();
    const { messages, waitFor } = await subscribe(node);
    const hashes = await rpc<string[]>(node, 'generatetoaddress', [2, ADDRESS]);
    await waitFor((all) => all.filter((m) => m.topic === 'rawblock').length === 2);
    expect(messages.every((m) => m.frames === 3)).toBe(true);
    for (const topic of ['rawblock', 'hashblock', 'rawtx', 'hashtx', 'sequence']) {
      expect(messages.filter((m) => m.topic === topic).map((m) => m.seq)).toEqual([0, 1]);
    }
    const hashblocks = messages.filter((m) => m.topic === 'hashblock').map((m) => m.body.toString('hex'));
    expect(hashblocks).toEqual(hashes);
    const raw = messages.find((m) => m.topic === 'rawblock')!.body.toString('hex');
    expect(raw).toBe(await rpc(node, 'getblock', [hashes[0], 0]));
    const sequence = messages.filter((m) => m.topic === 'sequence');
    expect(sequence.map((m) => m.body.subarray(32).toString())).toEqual(['C', 'C']);
    expect(sequence[0]!.body.subarray(0, 32).toString('hex')).toBe(hashes[0]);
  });

  it('announces invalidateblock with sequence D only, and reconsiderblock with C', async () => {
    const node = await start();
    const hashes = await rpc<string[]>(node, 'generatetoaddress', [2, ADDRESS]);
    const { messages, waitFor } = await subscribe(node);
    await rpc(node, 'invalidateblock', [hashes[1]]);
    await waitFor((all) => all.some((m) => m.topic === 'sequence'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(messages.filter((m) => m.topic === 'hashblock' || m.topic === 'rawblock')).toEqual([]);
    const disconnect = messages.filter((m) => m.topic === 'sequence');
    expect(disconnect.map((m) => `${m.body.subarray(0, 32).toString('hex')}${m.body.subarray(32)}`)).toEqual([
      `${hashes[1]}D`,
    ]);
    await rpc(node, 'reconsiderblock', [hashes[1]]);
    await waitFor((all) => all.filter((m) => m.topic === 'sequence').length === 2);
    const connect = messages.filter((m) => m.topic === 'sequence')[1]!;
    expect(connect.body.subarray(32).toString()).toBe('C');
    expect(connect.body.subarray(0, 32).toString('hex')).toBe(hashes[1]);
    // The counters kept running across the disconnect (2 blocks connected before, then D, then C).
    expect(messages.filter((m) => m.topic === 'sequence').map((m) => m.seq)).toEqual([2, 3]);
  });

  it('announces mempool entry with sequence A and an 8-byte mempool sequence', async () => {
    const chain = createDevnetChain();
    const node = await start({ chain });
    const wallet = createWallet('zmq-mempool', { chain });
    await rpc(node, 'generatetoaddress', [101, wallet.newAddress('p2wpkh').address]);
    const { messages, waitFor } = await subscribe(node);
    const tx = wallet.send({ to: [{ address: ADDRESS, value: 5_000_000n }] });
    await rpc(node, 'sendrawtransaction', [tx.raw.toString('hex')]);
    await waitFor((all) => all.some((m) => m.topic === 'sequence'));
    const added = messages.find((m) => m.topic === 'sequence')!;
    expect(added.body.length).toBe(32 + 1 + 8);
    expect(added.body.subarray(0, 32).toString('hex')).toBe(tx.txid);
    expect(added.body.subarray(32, 33).toString()).toBe('A');
    expect(messages.find((m) => m.topic === 'rawtx')!.body.equals(tx.raw)).toBe(true);
  });

  it('dropEvery leaves a visible gap in the sequence numbers', async () => {
    const node = await start();
    const { messages, waitFor } = await subscribe(node);
    node.zmq!.dropEvery(2, 'hashblock');
    await rpc(node, 'generatetoaddress', [4, ADDRESS]);
    await waitFor((all) => all.filter((m) => m.topic === 'rawblock').length === 4);
    await node.zmq!.flush();
    expect(messages.filter((m) => m.topic === 'hashblock').map((m) => m.seq)).toEqual([0, 2]);
    expect(messages.filter((m) => m.topic === 'rawblock').map((m) => m.seq)).toEqual([0, 1, 2, 3]);
  });
});
