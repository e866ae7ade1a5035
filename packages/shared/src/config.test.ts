import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      DATABASE_URL: undefined,
      MINETRACE_DATA_DIR: './.minetrace',
      BITCOIND_RPC_URL: undefined,
      API_PORT: 4000,
      API_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MINETRACE_POOLS: [],
      POLL_INTERVAL_MS: 5000,
      FINALITY_DEPTH: 6,
      PAYOUT_MAX_HOPS: 3,
      INDEX_BATCH_BLOCKS: 8,
      INDEX_PREFETCH: 8,
      INDEX_DECODE_WORKER: 'off',
    });
  });

  it('parses numbers, lists and URLs with credentials', () => {
    const config = loadConfig({
      API_PORT: '4123',
      BITCOIND_RPC_URL: 'http://user:p%40ss@127.0.0.1:18443',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/minetrace',
      MINETRACE_POOLS: 'a.json, b.json,,',
      POLL_INTERVAL_MS: '250',
    });
    expect(config.API_PORT).toBe(4123);
    expect(config.BITCOIND_RPC_URL).toBe('http://user:p%40ss@127.0.0.1:18443');
    expect(config.MINETRACE_POOLS).toEqual(['a.json', 'b.json']);
    expect(config.POLL_INTERVAL_MS).toBe(250);
  });

  it('accepts one or more ZMQ endpoints and refuses anything else', () => {
    const endpoints = 'tcp://127.0.0.1:28332, tcp://10.0.0.2:28333';
    expect(loadConfig({ BITCOIND_ZMQ_URL: endpoints }).BITCOIND_ZMQ_URL).toBe(endpoints);
    expect(() => loadConfig({ BITCOIND_ZMQ_URL: 'tcp://127.0.0.1:28332,http://x' })).toThrow(
      /BITCOIND_ZMQ_URL/,
    );
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', API_PORT: '' }).API_PORT).toBe(4000);
  });

  it('names the variable that is out of bounds or malformed', () => {
    expect(() => loadConfig({ API_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ API_PORT: '70000' })).toThrow(/API_PORT/);
    expect(() => loadConfig({ FINALITY_DEPTH: 'six' })).toThrow(/FINALITY_DEPTH/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ INDEX_BATCH_BLOCKS: '0' })).toThrow(/INDEX_BATCH_BLOCKS/);
    expect(() => loadConfig({ INDEX_PREFETCH: '1.5' })).toThrow(/INDEX_PREFETCH/);
    expect(() => loadConfig({ INDEX_DECODE_WORKER: 'yes' })).toThrow(/INDEX_DECODE_WORKER/);
    expect(loadConfig({ INDEX_DECODE_WORKER: 'on' }).INDEX_DECODE_WORKER).toBe('on');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.MINETRACE_POOLS)).toBe(true);
  });
});
