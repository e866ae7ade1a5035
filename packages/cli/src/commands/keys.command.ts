import { API_ROLES, createApiKey, listApiKeys, revokeApiKey } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { type Config, loadConfig } from '@minetrace/shared/config';
import { type ApiRole, assertSchemaCurrent, type Db, migrateToLatest, openDb } from '@minetrace/shared/db';
import type { Command } from 'commander';

/**
 * `minetrace keys create|list|revoke`: API keys in the configured database. The secret is printed
 * once, at creation; only its SHA-256 is stored.
 */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys (Authorization: Bearer <key>)');
  keys
    .command('create')
    .description('create an API key and print it (once)')
    .requiredOption('--role <role>', `one of ${API_ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who or what the key is for')
    .action((options: { role: string; name: string }) =>
      withDb(loadConfig(), async (db) => {
        if (!API_ROLES.includes(options.role as ApiRole)) {
          throw new NonRetryableError(`--role must be one of ${API_ROLES.join(', ')}, got '${options.role}'`);
        }
        const name = options.name.trim();
        if (name.length === 0 || name.length > 200)
          throw new NonRetryableError('--name must be 1 to 200 characters');
        const { secret, key } = await createApiKey(db, { name, role: options.role as ApiRole });
        process.stderr.write(
          `minetrace: created key ${key.id} '${key.name}' (${key.role}); it is shown only now, store it safely:\n`,
        );
        process.stdout.write(`${secret}\n`);
      }),
    );
  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .action(() =>
      withDb(loadConfig(), async (db) => {
        for (const key of await listApiKeys(db)) {
          const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt.toISOString()}`;
          process.stdout.write(
            `${key.id}\t${key.prefix}…\t${key.role}\t${key.name}\t${key.createdAt.toISOString()}\t${state}\n`,
          );
        }
      }),
    );
  keys
    .command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'the key id `keys list` prints')
    .action((id: string) =>
      withDb(loadConfig(), async (db) => {
        if (!/^\d{1,18}$/.test(id)) throw new NonRetryableError(`key id must be a number, got '${id}'`);
        if (!(await revokeApiKey(db, BigInt(id)))) throw new NonRetryableError(`no active key ${id}`);
        process.stdout.write(`minetrace: revoked key ${id}\n`);
      }),
    );
}

/** Opens the configured database as `minetrace api` would (the embedded one is migrated here). */
async function withDb(config: Config, use: (db: Db) => Promise<void>): Promise<void> {
  const db = openDb(config);
  try {
    if (config.DATABASE_URL === undefined) await migrateToLatest(db);
    else await assertSchemaCurrent(db);
    await use(db);
  } finally {
    await db.destroy();
  }
}
