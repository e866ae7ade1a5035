import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createDevnetChain, createWallet, type DevnetNode, startDevnetNode } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { indexedTipHash, readDbView, readNodeView, waitFor } from './follower.testing.js';
import { BitcoindRpcClient } from './rpc-client.js';

const CLI = fileURLToPath(new URL('../../../../packages/cli/bin/minetrace.js', import.meta.url));

/** `minetrace index` as a separate process, its output kept for the failure message. */
function startIndexer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [CLI, 'index'], {
    env: { ...process.env, LOG_LEVEL: 'warn', POLL_INTERVAL_MS: '200', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

describe('minetrace index as a process', () => {
  let node: DevnetNode;
  let test: TestDatabase;
  let rpc: BitcoindRpcClient;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    const chain = createDevnetChain();
    const wallet = createWallet('follower-process', { chain });
    const miner = wallet.newAddress('p2wpkh').address;
    chain.generateToAddress(110, miner);
    // Blocks with payments, so that a block is several statements and a kill can land inside one.
    for (let block = 0; block < 20; block++) {
      const txs: Buffer[] = [];
      for (let i = 0; i < 3; i++) {
        const tx = wallet.send({ to: [{ address: wallet.newAddress('p2tr').address, value: 1_000_000n }] });
        chain.sendRawTransaction(tx.raw);
        txs.push(tx.raw);
      }
      chain.mine({ coinbaseOutputs: miner, txs });
    }
    chain.generateToAddress(70, miner);
    node = await startDevnetNode({ chain });
    test = await createTestDatabase('postgres', { name: 'follower_process' });
    rpc = new BitcoindRpcClient({ url: node.rpcUrl });
    env = { DATABASE_URL: test.url!, BITCOIND_RPC_URL: node.rpcUrl, BITCOIND_ZMQ_URL: node.zmqUrl! };
  });
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await test?.close();
    await node?.stop();
  });

  it('killed with SIGKILL mid-sync and restarted, ends with exactly the node chain', async () => {
    const nodeHeight = node.chain.tipHeight();
    const first = startIndexer(env);
    children.push(first.child);
    // Kill once it is well into the sync, while it writes block after block.
    await waitFor(
      async () => {
        const state = await test.db.selectFrom('chain_state').select('tip_height').executeTakeFirst();
        if (first.child.exitCode !== null) throw new Error(`the indexer exited early:\n${first.output()}`);
        return (state?.tip_height ?? -1) >= 50;
      },
      true,
      60_000,
    );
    first.child.kill('SIGKILL');
    expect((await exitOf(first.child)).signal).toBe('SIGKILL');

    // What the kill left is a whole prefix of the node's chain: every block up to the tip, nothing above.
    const afterKill = await readDbView(test.db);
    const nodeView = await readNodeView(rpc);
    expect(afterKill.height).toBeLessThan(nodeHeight);
    expect(afterKill.hashes).toEqual(nodeView.hashes.slice(0, afterKill.height + 1));
    expect(afterKill.txCounts).toEqual(nodeView.txCounts.slice(0, afterKill.height + 1));
    const above = await test.db
      .selectFrom('txs')
      .select('id')
      .where('height', '>', afterKill.height)
      .execute();
    expect(above).toEqual([]);

    const second = startIndexer(env);
    children.push(second.child);
    await waitFor(() => indexedTipHash(test.db), node.chain.tipHash(), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${second.output()}`);
    });
    const [dbView, finalNode] = await Promise.all([readDbView(test.db), readNodeView(rpc)]);
    expect(dbView.hashes).toEqual(finalNode.hashes);
    expect(dbView.txCounts).toEqual(finalNode.txCounts);
    expect(dbView.utxoTotalSats).toBe(finalNode.utxoTotalSats);
    expect(dbView.utxoCount).toBe(finalNode.utxoCount);

    second.child.kill('SIGTERM');
    expect((await exitOf(second.child)).code).toBe(0);
    // Two process start-ups (several seconds each through tsx) and a sync, on a machine that may be busy.
  }, 120_000);

  it('catches up in batches of INDEX_BATCH_BLOCKS blocks', async () => {
    // A database of its own: the one above is already at the node's tip.
    const fresh = await createTestDatabase('postgres', { name: 'follower_batches' });
    try {
      const run = startIndexer({
        ...env,
        DATABASE_URL: fresh.url!,
        LOG_LEVEL: 'debug',
        INDEX_BATCH_BLOCKS: '3',
        INDEX_PREFETCH: '2',
      });
      children.push(run.child);
      await waitFor(() => indexedTipHash(fresh.db), node.chain.tipHash(), 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${run.output()}`);
      });
      run.child.kill('SIGTERM');
      expect((await exitOf(run.child)).code).toBe(0);
      // Each indexed block's debug line names the size of the batch that committed it.
      const sizes = run
        .output()
        .split('\n')
        .filter((line) => line.includes('"block indexed"'))
        .map((line) => (JSON.parse(line) as { batch_blocks: number }).batch_blocks);
      expect(sizes.length).toBe(node.chain.tipHeight() + 1);
      expect(Math.max(...sizes)).toBe(3);
    } finally {
      await fresh.close();
    }
  }, 90_000);

  it('refuses to start against a node on another network than the database, and says why', async () => {
    await test.db.updateTable('chain_state').set({ network: 'main' }).execute();
    try {
      const run = startIndexer(env);
      children.push(run.child);
      const { code } = await exitOf(run.child);
      expect(code).toBe(1);
      expect(run.output()).toMatch(/the node is on regtest but this database indexes main/);
    } finally {
      await test.db.updateTable('chain_state').set({ network: 'regtest' }).execute();
    }
  }, 60_000);
});
