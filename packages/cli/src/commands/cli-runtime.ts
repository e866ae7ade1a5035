// What the commands share about the process they run in: status lines, shutdown signals, the
// configured database and node. It imports no command, so that every command may import it.
import { BitcoindRpcClient } from '@minetrace/indexer';
import { NonRetryableError } from '@minetrace/shared';
import type { Config } from '@minetrace/shared/config';
import { assertSchemaCurrent, type Db, migrateToLatest, openDb } from '@minetrace/shared/db';

/** A status line on stdout, prefixed `minetrace:`. */
export function say(line: string): void {
  process.stdout.write(`minetrace: ${line}\n`);
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function waitForShutdown(): { signal: AbortSignal; stopped: Promise<string> } {
  const controller = new AbortController();
  const stopped = new Promise<string>((resolve) => {
    const onSignal = (name: string) => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
      resolve(name);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
  return { signal: controller.signal, stopped };
}

/**
 * Opens the configured database ready for use. The embedded database is migrated here (nobody else
 * would); Postgres must have been migrated with `minetrace migrate`, so that a deploy upgrades its
 * schema once, on purpose, and not from whichever process starts first.
 */
export async function openReadyDb(config: Config): Promise<Db> {
  const db = openDb(config);
  try {
    if (config.DATABASE_URL === undefined) await migrateToLatest(db);
    else await assertSchemaCurrent(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/** Runs `use` on the configured database (see `openReadyDb`) and closes it afterwards. */
export async function withReadyDb<T>(config: Config, use: (db: Db) => Promise<T>): Promise<T> {
  const db = await openReadyDb(config);
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}

export function rpcFromConfig(config: Config): BitcoindRpcClient {
  if (config.BITCOIND_RPC_URL === undefined) {
    throw new NonRetryableError(
      'BITCOIND_RPC_URL is not set (or run `minetrace start` for the built-in demo node)',
    );
  }
  return new BitcoindRpcClient({
    url: config.BITCOIND_RPC_URL,
    cookieFile: config.BITCOIND_RPC_COOKIE,
    restUrl: config.BITCOIND_REST_URL,
  });
}

/**
 * How many blocks the indexer writes per transaction and fetches ahead while catching up, and where
 * it decodes them.
 */
export function pipelineOptions(config: Config): {
  batchBlocks: number;
  prefetch: number;
  decodeInWorker: boolean;
} {
  return {
    batchBlocks: config.INDEX_BATCH_BLOCKS,
    prefetch: config.INDEX_PREFETCH,
    decodeInWorker: config.INDEX_DECODE_WORKER === 'on',
  };
}

/** What every applied block needs from the configuration. */
export function applyOptions(config: Config): { payoutMaxHops: number; finalityDepth: number } {
  return { payoutMaxHops: config.PAYOUT_MAX_HOPS, finalityDepth: config.FINALITY_DEPTH };
}
