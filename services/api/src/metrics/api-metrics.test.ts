import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiMetrics } from './api-metrics.js';

describe('createApiMetrics', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase('pglite');
  }, 60_000);
  afterAll(async () => {
    await test?.close();
  });

  it('counts each request under its own operation type and outcome', async () => {
    const metrics = createApiMetrics({ db: test.db });
    metrics.observeRequest('query', 'OK', 0.003);
    metrics.observeRequest('query', 'NOT_FOUND', 0.02);
    metrics.observeRequest('query', 'OK', 0.2);
    metrics.observeRequest('mutation', 'OK', 0.004);
    metrics.observeRequest('none', 'UNAUTHENTICATED', 0.001);
    const text = await metrics.render();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('minetrace_api_requests_total{operation_type="query",outcome="OK"}')).toBe(2);
    expect(value('minetrace_api_requests_total{operation_type="query",outcome="NOT_FOUND"}')).toBe(1);
    expect(value('minetrace_api_requests_total{operation_type="mutation",outcome="OK"}')).toBe(1);
    expect(value('minetrace_api_requests_total{operation_type="none",outcome="UNAUTHENTICATED"}')).toBe(1);
    expect(value('minetrace_api_request_duration_seconds_count{operation_type="query"}')).toBe(3);
    expect(value('minetrace_api_request_duration_seconds_bucket{le="0.005",operation_type="query"}')).toBe(1);
    expect(value('minetrace_api_request_duration_seconds_bucket{le="0.025",operation_type="query"}')).toBe(2);
    expect(value('minetrace_api_request_duration_seconds_sum{operation_type="mutation"}')).toBeCloseTo(0.004);
    expect(value('minetrace_api_request_duration_seconds_count{operation_type="none"}')).toBe(1);
  });
});
