// The work of `minetrace screen`, loaded only when the command runs (see screen.command.ts).
import { readFile } from 'node:fs/promises';
import {
  addressLines,
  loadScreenRules,
  MAX_SCREEN_ADDRESSES,
  type ScreenResult,
  screenAddresses,
  screenResultToJson,
} from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { checkAddress, type Network } from '@minetrace/shared/chain';
import { loadConfig } from '@minetrace/shared/config';
import { assertSchemaCurrent, migrateToLatest, openDb } from '@minetrace/shared/db';
import { indexedNetwork } from '@minetrace/shared/tags';
import { apiClientFromEnv } from '../api-client.js';
import type { ScreenOptions } from './screen.command.js';
import { runScreenJob } from './screen-job.js';
import { runScreenJobOverHttp, screenOverHttp } from './screen-over-http.js';

/** Levels that make `minetrace screen` exit 1, so a script can refuse a payment on them. */
const FAILING = new Set(['SEVERE', 'HIGH']);

/** Addresses of a file: one a line; blank lines and `#` comments are skipped (as the server reads an upload). */
export function addressesOfFile(content: string): string[] {
  return addressLines(content).map((line) => line.value);
}

/** The table a terminal shows: one line per address, then its reasons indented, worst first. */
export function screenTable(results: readonly ScreenResult[]): string {
  const width = Math.max(7, ...results.map((r) => r.address.length));
  const lines = [`${'ADDRESS'.padEnd(width)}  RISK    CLUSTER`];
  for (const result of results) {
    const cluster = result.cluster === null ? '-' : `${result.cluster.id} (${result.cluster.size})`;
    lines.push(`${result.address.padEnd(width)}  ${result.risk.padEnd(6)}  ${cluster}`);
    for (const reason of result.reasons) {
      lines.push(`  ${reason.risk.padEnd(6)}  ${reason.kind}: ${reason.detail}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The addresses in the form the indexer stores, when every one is an address of `network` (null:
 * nothing indexed, any network's); otherwise nothing is screened and the error names the first ten.
 */
export function validAddresses(addresses: readonly string[], network: Network | null): string[] {
  const checked = addresses.map((value) => ({ value, check: checkAddress(value, network) }));
  const bad = checked.filter((c) => !c.check.ok);
  if (bad.length > 0) {
    const list = bad
      .slice(0, 10)
      .map((c) => `${JSON.stringify(c.value.slice(0, 100))} (${c.check.ok ? '' : c.check.problem})`);
    throw new NonRetryableError(
      `screen: ${bad.length} invalid address(es), nothing screened: ${list.join(', ')}`,
    );
  }
  return checked.map((c) => (c.check.ok ? c.check.address : c.value));
}

/** `minetrace screen`: screens the addresses here or on the server and prints the results (see `registerScreen`). */
export async function screenAction(args: string[], opts: ScreenOptions): Promise<void> {
  const addresses = [...args];
  if (opts.file !== undefined) {
    let content: string;
    try {
      content = await readFile(opts.file, 'utf8');
    } catch (err) {
      throw new NonRetryableError(`screen: cannot read ${opts.file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    addresses.push(...addressesOfFile(content));
  }
  if (addresses.length === 0) throw new NonRetryableError('screen: give addresses or --file F');
  const client = apiClientFromEnv();
  let results: ScreenResult[];
  if (client !== null) {
    const valid = validAddresses(addresses, await client.network());
    if (opts.job === true) return await runScreenJobOverHttp(client, valid);
    results = await screenOverHttp(client, valid);
  } else {
    const config = loadConfig(process.env);
    const settings = {
      rules: loadScreenRules(config.SCREEN_RULES_FILE),
      maxHops: config.SCREEN_MAX_HOPS,
    };
    const db = openDb(config);
    results = [];
    try {
      if (config.DATABASE_URL === undefined) await migrateToLatest(db);
      else await assertSchemaCurrent(db);
      const valid = validAddresses(addresses, await indexedNetwork(db));
      if (opts.job === true) return await runScreenJob(config, db, valid);
      for (let start = 0; start < valid.length; start += MAX_SCREEN_ADDRESSES) {
        results.push(
          ...(await screenAddresses(db, valid.slice(start, start + MAX_SCREEN_ADDRESSES), settings)),
        );
      }
    } finally {
      await db.destroy();
    }
  }
  process.stdout.write(
    opts.json ? `${JSON.stringify(results.map(screenResultToJson), null, 2)}\n` : screenTable(results),
  );
  if (results.some((r) => FAILING.has(r.risk))) process.exitCode = 1;
}
