import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors.js';

/** The largest satoshi amount that can exist (21e6 BTC) bounds every accepted input. */
const MAX_SATS = 2_100_000_000_000_000n;

/**
 * Satoshis travel as decimal strings: a JSON number is a double, exact only to 2^53, and callers
 * must never see a float of BTC. Internally they are bigint.
 */
export const SatsScalar = new GraphQLScalarType<bigint, string>({
  name: 'Sats',
  description: 'Satoshis as a decimal string: exact at any size, never a float of BTC.',
  serialize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    throw new TypeError(`Sats cannot represent ${String(value)}`);
  },
  parseValue(value) {
    return parseSats(value);
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parseSats(ast.value);
    throw badInput('Sats must be a decimal string of satoshis');
  },
});

function parseSats(value: unknown): bigint {
  if ((typeof value === 'string' && /^\d{1,16}$/.test(value)) || Number.isSafeInteger(value)) {
    const sats = BigInt(value as string | number);
    if (sats >= 0n && sats <= MAX_SATS) return sats;
  }
  throw badInput(`Sats must be a decimal string from 0 to ${MAX_SATS}`);
}

/** Unix seconds bounds of accepted times: the genesis block's year to the year 9999. */
const MIN_UNIX = 0;
const MAX_UNIX = 253_402_300_799;

/**
 * Times go out as ISO-8601 UTC; they come in as ISO-8601 or as unix seconds, whichever the caller
 * holds. (Unix seconds go out too, as the `timestamp` fields.)
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'ISO-8601 UTC on output; ISO-8601 or unix seconds (integer) on input.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'number') return new Date(value * 1000).toISOString();
    throw new TypeError(`DateTime cannot represent ${String(value)}`);
  },
  parseValue(value) {
    return parseDateTime(value);
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING) return parseDateTime(ast.value);
    if (ast.kind === Kind.INT) return parseDateTime(Number(ast.value));
    throw badInput('DateTime must be an ISO-8601 string or unix seconds');
  },
});

function parseDateTime(value: unknown): Date {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= MIN_UNIX && value <= MAX_UNIX) return new Date(value * 1000);
    throw badInput(`DateTime as unix seconds must be an integer from ${MIN_UNIX} to ${MAX_UNIX}`);
  }
  // Date.parse alone accepts "1" or "March 7"; require the ISO-8601 shape.
  if (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)
  ) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw badInput(
    `DateTime must be ISO-8601 (e.g. 2026-11-25T00:00:00Z) or unix seconds, got ${JSON.stringify(value)}`,
  );
}

/** Unix seconds of a Date (rounded down). */
export const toUnix = (date: Date): number => Math.floor(date.getTime() / 1000);
