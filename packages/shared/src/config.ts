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
  /**
   * bitcoind ZMQ endpoint(s) publishing `sequence`/`hashblock`/`rawblock`, comma-separated, e.g.
   * `tcp://127.0.0.1:28332`. Optional: without it the follower polls every `POLL_INTERVAL_MS`.
   */
  BITCOIND_ZMQ_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(
        (value) =>
          value.split(',').every((part) => {
            try {
              return ['tcp:', 'ipc:'].includes(new URL(part.trim()).protocol);
            } catch {
              return false;
            }
          }),
        'must be one or more URLs starting with tcp:// or ipc://, separated by commas',
      )
      .optional(),
  ),
  /** Port of the API server. Default 4000; 0 picks a free port; at most 65535. */
  API_PORT: integer(4000, 0, 65535),
  /** Interface the API server binds to. Default `127.0.0.1` (local only). */
  API_HOST: z.preprocess(emptyToUndefined, z.string().min(1).default('127.0.0.1')),
  /**
   * Redis for the API's per-key rate limits and the job queues (`redis://host:6379/0`). Unset: limits
   * are counted in the API process (per process, lost at restart) and jobs run in the process that
   * enqueued them (`minetrace start`/`api`), so `minetrace worker` needs it.
   */
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  /**
   * API keys: `auto` (default) requires a key as soon as one exists (`minetrace keys create`) and,
   * while none exists, serves without keys to loopback clients only; `required` always requires one.
   */
  API_AUTH: z.preprocess(emptyToUndefined, z.enum(['auto', 'required']).default('auto')),
  /** Operations one API key may run per minute. Default 600; 1 to 1000000. */
  API_RATE_LIMIT_PER_MINUTE: integer(600, 1, 1_000_000),
  /** Largest computed cost of one GraphQL operation (fields times page sizes). Default 10000; 10 to 10000000. */
  API_MAX_COST: integer(10_000, 10, 10_000_000),
  /** Deepest field nesting of one GraphQL operation. Default 12; 2 to 100. */
  API_MAX_DEPTH: integer(12, 2, 100),
  /** Largest `first` of a connection. Default 100; 1 to 10000. */
  API_MAX_PAGE: integer(100, 1, 10_000),
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
  /**
   * Blocks per transaction while catching up (follower and backfill jobs). Default 8; 1 to 1000.
   * Decoded blocks dominate the indexer's memory: with 3,000-tx blocks, 8 here and 8 in
   * `INDEX_PREFETCH` peak near 1 GiB resident, 4 and 4 near 700 MiB, about 5% slower.
   */
  INDEX_BATCH_BLOCKS: integer(8, 1, 1000),
  /** Blocks fetched from the node ahead of the one being decoded, in parallel. Default 8; 1 to 1000. */
  INDEX_PREFETCH: integer(8, 1, 1000),
  /**
   * `on`: while catching up (backfill jobs, the follower behind by more than a batch) blocks are
   * decoded in a worker thread rather than on the main thread. Default `off`: it costs twice the CPU
   * of decoding in all, and on 2 cores a backfill ran 17% slower with it (`npm run bench -- ingest`
   * with `BENCH_DECODE_WORKER=1`); it is for machines with cores to spare.
   */
  INDEX_DECODE_WORKER: z.preprocess(emptyToUndefined, z.enum(['off', 'on']).default('off')),
  /** Blocks below the tip after which a block counts as final (clustering runs). Default 6; 1 to 1000. */
  FINALITY_DEPTH: integer(6, 1, 1000),
  /** How many transactions after a coinbase payouts are followed. Default 3; 0 to 20. */
  PAYOUT_MAX_HOPS: integer(3, 0, 20),
  /** Seconds a finished job's result (row and file) is kept. Default 604800 (7 days); 60 to 31536000. */
  JOB_RESULT_TTL: integer(604_800, 60, 31_536_000),
  /** Jobs one worker process runs at the same time. Default 2; 1 to 64. */
  JOB_CONCURRENCY: integer(2, 1, 64),
  /** Runs of a job before a transient error fails it for good. Default 5; 1 to 100. */
  JOB_MAX_ATTEMPTS: integer(5, 1, 100),
  /**
   * Prefix of the job queue's Redis keys: deployments sharing one Redis use different prefixes.
   * Default `minetrace`; letters, digits, `-`, `_`, `.`.
   */
  JOB_QUEUE_PREFIX: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1 to 100 letters, digits, dots, dashes or underscores')
      .default('minetrace'),
  ),
  /**
   * Transactions screening walks back from an address looking for tagged sources (INDIRECT_EXPOSURE).
   * Default 3; 1 to 10.
   */
  SCREEN_MAX_HOPS: integer(3, 1, 10),
  /** A JSON file of screening rules replacing the defaults in part or whole (docs/screening.md). Unset: the defaults. */
  SCREEN_RULES_FILE: optionalString,
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
