import type { IncomingMessage, ServerResponse } from 'node:http';
import { networkFromChain } from '@minetrace/shared/chain';
import { type Db, getChainState } from '@minetrace/shared/db';
import { GraphQLError } from 'graphql';
import type { Authenticator } from '../auth/authenticator.js';
import { parseAddress } from '../graphql/input-validation.js';
import {
  type ScreenResult,
  type ScreenSettings,
  screenAddresses,
  screenResultToJson,
} from '../investigate/screen/index.js';

/**
 * `/api/v1/address/{address}`: the path of Chainalysis's free sanctions screening API, so tools
 * written against it can point at minetrace instead.
 */
export const CHAINALYSIS_ADDRESS_PATH = /^\/api\/v1\/address\/([^/]{1,120})$/;

export interface ChainalysisRouteDeps {
  db: Db;
  authenticator: Authenticator;
  screen: ScreenSettings;
}

/** One entry of Chainalysis's `identifications` list. */
export interface ChainalysisIdentification {
  category: 'sanctions';
  name: string;
  description: string;
  url: string | null;
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

const isUrl = (text: string) => /^https?:\/\//i.test(text);

/**
 * Chainalysis's answer: one identification per `sanctioned` tag on the address itself (what its
 * sanctions API reports), nothing for any other finding; minetrace's whole screening result rides
 * along under `minetrace`.
 */
export function chainalysisAnswer(result: ScreenResult): {
  identifications: ChainalysisIdentification[];
  minetrace: ReturnType<typeof screenResultToJson>;
} {
  const identifications = result.reasons
    .filter((reason) => reason.kind === 'DIRECT_TAG' && reason.tag?.category === 'sanctioned')
    .map((reason) => {
      const tag = reason.tag!;
      return {
        category: 'sanctions' as const,
        name: `SANCTIONS: ${tag.label}`,
        description: `${result.address} is on ${tag.source}: ${tag.label}`,
        url: isUrl(tag.source) ? tag.source : null,
      };
    });
  return { identifications, minetrace: screenResultToJson(result) };
}

/**
 * `GET /api/v1/address/{address}` with the key in `X-API-Key` (Chainalysis's header) or
 * `Authorization: Bearer`, checked against the same key store as GraphQL; every role may use it.
 * 400 for an address that is not one of the indexed network, 401 without a valid key.
 */
export function createChainalysisRoute(deps: ChainalysisRouteDeps) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const match = CHAINALYSIS_ADDRESS_PATH.exec(url.pathname);
    if (match === null) return false;
    const header = req.headers['x-api-key'];
    const key = Array.isArray(header) ? header[0] : header;
    const authorization = key !== undefined && key !== '' ? `Bearer ${key}` : req.headers.authorization;
    const auth = await deps.authenticator.authenticate(authorization, req.socket.remoteAddress);
    if (!auth.ok) {
      reply(res, 401, { error: auth.message.replace('Authorization: Bearer <key>', 'X-API-Key: <key>') });
      return true;
    }
    let address: string;
    try {
      const state = await getChainState(deps.db);
      address = parseAddress(
        decodeURIComponent(match[1]!),
        state === undefined ? null : networkFromChain(state.network),
      );
    } catch (err) {
      if (err instanceof GraphQLError || err instanceof URIError) {
        reply(res, 400, { error: err.message });
        return true;
      }
      throw err;
    }
    const [result] = await screenAddresses(deps.db, [address], deps.screen);
    reply(res, 200, chainalysisAnswer(result!));
    return true;
  };
}
