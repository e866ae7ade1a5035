import { MAX_SCREEN_ADDRESSES, type ScreenResult, screenAddresses } from '../investigate/screen/index.js';
import type { ApiContext } from './api-context.js';
import { badInput } from './errors.js';
import { parseAddress } from './input-validation.js';
import type { QueryResolvers, ScreenResult as ScreenResultType } from './resolvers.generated.js';

/** A screening result as the schema shows it (ids as strings, the exact share split in two). */
export function screenResultToGraphql(result: ScreenResult): ScreenResultType {
  return {
    address: result.address,
    risk: result.risk,
    received: result.received,
    truncated: result.truncated,
    cluster: result.cluster === null ? null : { id: result.cluster.id.toString(), size: result.cluster.size },
    reasons: result.reasons.map((reason) => ({
      kind: reason.kind,
      risk: reason.risk,
      detail: reason.detail,
      tag: reason.tag,
      hops: reason.hops,
      value: reason.value,
      share: reason.share,
      shareNumerator: reason.shareExact?.num.toString() ?? null,
      shareDenominator: reason.shareExact?.den.toString() ?? null,
      pool: reason.pool,
      addresses: reason.addresses,
      sourceOutpoints: reason.sourceOutpoints,
      path: reason.path,
    })),
  };
}

/** Validates and normalises a batch to screen: 1 to `MAX_SCREEN_ADDRESSES` valid addresses. */
export async function parseScreenAddresses(addresses: readonly string[], ctx: ApiContext): Promise<string[]> {
  if (addresses.length === 0) throw badInput('addresses must name at least one address');
  if (addresses.length > MAX_SCREEN_ADDRESSES) {
    throw badInput(`at most ${MAX_SCREEN_ADDRESSES} addresses a call, got ${addresses.length}`);
  }
  const network = await ctx.network();
  return addresses.map((address) => parseAddress(address, network));
}

export const screenQueryResolvers: Pick<QueryResolvers, 'screen'> = {
  screen: async (_root, args, ctx) => {
    const addresses = await parseScreenAddresses(args.addresses, ctx);
    const results = await screenAddresses(ctx.db, addresses, ctx.screen);
    return results.map(screenResultToGraphql);
  },
};
