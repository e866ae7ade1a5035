import { z } from 'zod';
import { NonRetryableError } from './errors.js';

/** A configuration value that fails validation; the message names the variable. */
export class ConfigError extends NonRetryableError {
  override name = 'ConfigError';
}

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const optionalUrl = (protocols: string[]) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol);
          } catch {
            return false;
          }
        },
        `must be a URL starting with ${protocols.join(' or ')}//`,
      )
      .optional(),
  );

const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const integer = (fallback: number, min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback),
  );
};

/**
 * Every environment variable minetrace reads. Each entry says what it is, its default and its bounds;
 * the README's table lists the same.
 */
const schema = z.object({
  /**
   * Postgres connection string (`postgres://user:password@host:port/db`). Unset: an embedded
   * PGlite database in `MINETRACE_DATA_DIR` is used instead.
   */
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  /** Directory of the embedded database (and other local state). Default `./.minetrace`. */
  MINETRACE_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./.minetrace')),
  /**
   * bitcoind JSON-RPC URL, with credentials when not using a cookie: `http://user:password@127.0.0.1:8332`.
   * Unset: `minetrace start` runs the built-in devnet node instead.
   */
  BITCOIND_RPC_URL: optionalUrl(['http:', 'https:']),
  /** Path to bitcoind's `.cookie` file; used for RPC auth when the URL carries no credentials. */
  BITCOIND_RPC_COOKIE: optionalString,
  /** bitcoind REST base URL (`-rest=1`), e.g. `http://127.0.0.1:8332`. Set: raw blocks come from REST. */
  BITCOIND_REST_URL: optionalUrl(['http:', 'https:']),
  /** bitcoind ZMQ endpoint publishing `hashblock`/`sequence`, e.g. `tcp://127.0.0.1:28332`. Optional. */
  BITCOIND_ZMQ_URL: optionalUrl(['tcp:', 'ipc:']),
  /** Port of the API server. Default 4000; 0 picks a free port; at most 65535. */
  API_PORT: integer(4000, 0, 65535),
  /** Interface the API server binds to. Default `127.0.0.1` (local only). */
  API_HOST: z.preprocess(emptyToUndefined, z.string().min(1).default('127.0.0.1')),
  /** pino log level. Default `info`. */
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  /**
   * Extra mining-pool definition files (JSON, same shape as the vendored dataset), separated by
   * commas; they override the vendored entries with the same id. Default none.
   */
  MINETRACE_POOLS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0),
      ),
  ),
  /** How often the follower asks the node for a new tip, in ms. Default 5000; 50 to 600000. */
  POLL_INTERVAL_MS: integer(5000, 50, 600_000),
  /** Blocks below the tip after which a block counts as final (clustering runs). Default 6; 1 to 1000. */
  FINALITY_DEPTH: integer(6, 1, 1000),
  /** How many transactions after a coinbase payouts are followed. Default 3; 0 to 20. */
  PAYOUT_MAX_HOPS: integer(3, 0, 20),
});

/** The validated, frozen configuration; the only view of the environment the rest of minetrace gets. */
export type Config = Readonly<z.infer<typeof schema>>;

/**
 * Parses the environment once. Throws a `ConfigError` naming every bad variable.
 * Nothing else in minetrace reads `process.env`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) picked[key] = env[key];
  const result = schema.safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({
    ...result.data,
    MINETRACE_POOLS: Object.freeze(result.data.MINETRACE_POOLS),
  }) as Config;
}
