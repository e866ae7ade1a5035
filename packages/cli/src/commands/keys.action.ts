// The work of `minetrace keys create|list|revoke`, loaded only when one runs (see keys.command.ts).
import { API_ROLES, createApiKey, listApiKeys, revokeApiKey } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { loadConfig } from '@minetrace/shared/config';
import type { ApiRole } from '@minetrace/shared/db';
import { apiClientFromEnv } from '../api-client.js';
import { withReadyDb } from './cli-runtime.js';

/** `minetrace keys create`: creates a key and prints its secret, once. */
export async function keysCreateAction(options: { role: string; name: string }): Promise<void> {
  if (!API_ROLES.includes(options.role as ApiRole)) {
    throw new NonRetryableError(`--role must be one of ${API_ROLES.join(', ')}, got '${options.role}'`);
  }
  const role = options.role as ApiRole;
  const name = options.name.trim();
  if (name.length === 0 || name.length > 200)
    throw new NonRetryableError('--name must be 1 to 200 characters');
  const client = apiClientFromEnv();
  const { secret, key } =
    client === null
      ? await withReadyDb(loadConfig(), (db) => createApiKey(db, { name, role }))
      : await client
          .graphql<{ createApiKey: { secret: string; key: RemoteKey } }>('the new key', CREATE_KEY_MUTATION, {
            name,
            role: role.toUpperCase(),
          })
          .then(({ createApiKey }) => ({ secret: createApiKey.secret, key: keyOf(createApiKey.key) }));
  process.stderr.write(
    `minetrace: created key ${key.id} '${key.name}' (${key.role}); it is shown only now, store it safely:\n`,
  );
  process.stdout.write(`${secret}\n`);
}

/** `minetrace keys list`: one line per key, never its secret. */
export async function keysListAction(): Promise<void> {
  const client = apiClientFromEnv();
  const listed =
    client === null
      ? await withReadyDb(loadConfig(), (db) => listApiKeys(db))
      : (await client.graphql<{ apiKeys: RemoteKey[] }>('the key list', LIST_KEYS_QUERY)).apiKeys.map(keyOf);
  for (const key of listed) {
    const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt.toISOString()}`;
    process.stdout.write(
      `${key.id}\t${key.prefix}…\t${key.role}\t${key.name}\t${key.createdAt.toISOString()}\t${state}\n`,
    );
  }
}

/** `minetrace keys revoke`: revokes an active key by id. */
export async function keysRevokeAction(id: string): Promise<void> {
  if (!/^\d{1,18}$/.test(id)) throw new NonRetryableError(`key id must be a number, got '${id}'`);
  const client = apiClientFromEnv();
  const revoked =
    client === null
      ? await withReadyDb(loadConfig(), (db) => revokeApiKey(db, BigInt(id)))
      : (await client.graphql<{ revokeApiKey: boolean }>('the revocation', REVOKE_KEY_MUTATION, { id }))
          .revokeApiKey;
  if (!revoked) throw new NonRetryableError(`no active key ${id}`);
  process.stdout.write(`minetrace: revoked key ${id}\n`);
}

const KEY_FIELDS = 'id name role prefix createdAt revokedAt';
const CREATE_KEY_MUTATION = /* GraphQL */ `
  mutation CreateApiKey($name: String!, $role: Role!) {
    createApiKey(name: $name, role: $role) { secret key { ${KEY_FIELDS} } }
  }
`;
const LIST_KEYS_QUERY = /* GraphQL */ `query ApiKeys { apiKeys { ${KEY_FIELDS} } }`;
const REVOKE_KEY_MUTATION = /* GraphQL */ `mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) }`;

/** A key as the GraphQL `ApiKey` shows it: role upper-case, times ISO-8601. */
interface RemoteKey {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

function keyOf(key: RemoteKey) {
  return {
    id: key.id,
    name: key.name,
    role: key.role.toLowerCase() as ApiRole,
    prefix: key.prefix,
    createdAt: new Date(key.createdAt),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt),
  };
}
