import path from 'node:path';
import {
  MAX_SCREEN_ADDRESSES,
  SCREEN_BATCH_PATH,
  type ScreenReason,
  type ScreenResult,
} from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { MAX_SCREEN_BATCH_ADDRESSES } from '@minetrace/shared/queue';
import type { ApiClient } from '../api-client.js';
import { say, waitForShutdown } from './cli-runtime.js';
import { describeJob, followJobsWith } from './job-progress.js';
import { readJobOverHttp } from './jobs-over-http.js';

/**
 * The GraphQL `screen` query with every field of a screening result, so that a result screened on a
 * server prints exactly as one screened here (`screenTable`, `screenResultToJson`).
 */
export const SCREEN_QUERY = /* GraphQL */ `
  query Screen($addresses: [String!]!) {
    screen(addresses: $addresses) {
      address
      risk
      received
      truncated
      cluster { id size }
      reasons {
        kind
        risk
        detail
        tag { label category source confidence actor abuse isClusterDefiner createdAt }
        hops
        value
        share
        shareNumerator
        shareDenominator
        pool
        addresses
        sourceOutpoints { txid n }
        path
      }
    }
  }
`;

/** A value as JSON carries it from the API: satoshis and ids (bigint) and times as strings. */
type OverJson<T> = T extends bigint | Date
  ? string
  : T extends Array<infer U>
    ? Array<OverJson<U>>
    : T extends object
      ? { [K in keyof T]: OverJson<T[K]> }
      : T;

/** `ScreenResult` as the `screen` query answers it: the exact share as two fields. */
type RemoteScreenResult = OverJson<Omit<ScreenResult, 'reasons'>> & {
  reasons: Array<
    OverJson<Omit<ScreenReason, 'shareExact'>> & {
      shareNumerator: string | null;
      shareDenominator: string | null;
    }
  >;
};

/** A server's screening result as `screenAddresses` returns it here: satoshis and ids as bigints. */
function screenResultOf(remote: RemoteScreenResult): ScreenResult {
  return {
    address: remote.address,
    risk: remote.risk,
    received: BigInt(remote.received),
    truncated: remote.truncated,
    cluster: remote.cluster === null ? null : { id: BigInt(remote.cluster.id), size: remote.cluster.size },
    reasons: remote.reasons.map((reason) => ({
      kind: reason.kind,
      risk: reason.risk,
      detail: reason.detail,
      tag: reason.tag === null ? null : { ...reason.tag, createdAt: new Date(reason.tag.createdAt) },
      hops: reason.hops,
      value: reason.value === null ? null : BigInt(reason.value),
      share: reason.share,
      shareExact:
        reason.shareNumerator === null || reason.shareDenominator === null
          ? null
          : { num: BigInt(reason.shareNumerator), den: BigInt(reason.shareDenominator) },
      pool: reason.pool,
      addresses: reason.addresses,
      sourceOutpoints: reason.sourceOutpoints,
      path: reason.path,
    })),
  };
}

/**
 * Screens validated addresses on a server through its `screen` query, `MAX_SCREEN_ADDRESSES` a call
 * (what one call takes), in the order given.
 */
export async function screenOverHttp(
  client: ApiClient,
  addresses: readonly string[],
): Promise<ScreenResult[]> {
  const results: ScreenResult[] = [];
  for (let start = 0; start < addresses.length; start += MAX_SCREEN_ADDRESSES) {
    const { screen } = await client.graphql<{ screen: RemoteScreenResult[] }>('the screening', SCREEN_QUERY, {
      addresses: addresses.slice(start, start + MAX_SCREEN_ADDRESSES),
    });
    results.push(...screen.map(screenResultOf));
  }
  return results;
}

/**
 * `minetrace screen --job` on a server: uploads the (validated) addresses to
 * `POST /api/v1/jobs/screen-batch`, follows the job through the `job(id)` query (a progress bar on
 * a terminal), downloads the result file into the current directory (or, when a file of that name
 * is there already, prints where it is on the server) and prints the count per risk level.
 */
export async function runScreenJobOverHttp(client: ApiClient, addresses: readonly string[]): Promise<void> {
  if (addresses.length > MAX_SCREEN_BATCH_ADDRESSES) {
    throw new NonRetryableError(
      `screen: a batch holds at most ${MAX_SCREEN_BATCH_ADDRESSES} addresses, got ${addresses.length}; split the file`,
    );
  }
  const { signal } = waitForShutdown();
  const queued = await client.upload<{ id: string }>(
    'the screening batch',
    SCREEN_BATCH_PATH,
    {},
    `${addresses.join('\n')}\n`,
  );
  say(`queued screen job ${queued.id} for ${addresses.length} address(es) on ${client.origin}`);
  const [row] = await followJobsWith((id) => readJobOverHttp(client, id), [BigInt(queued.id)], {
    signal,
    label: 'screen',
  });
  if (row === undefined || signal.aborted) {
    say(`stopped following; job ${queued.id} continues on ${client.origin}`);
    return;
  }
  if (row.state !== 'completed') throw new NonRetryableError(`screen: ${describeJob(row)}`);
  const downloadUrl = row.result?.downloadUrl;
  if (downloadUrl != null) {
    const file = path.resolve(`job-${queued.id}-screen-batch.jsonl`);
    if (await client.download('the screening results', downloadUrl, file)) say(`results: ${file}`);
    else say(`results: ${client.urlOf(downloadUrl).href} (not downloaded: ${file} exists)`);
  }
  const data = row.result?.data;
  process.stdout.write(`${JSON.stringify(data == null ? null : JSON.parse(data))}\n`);
}
