import type { Db } from '@minetrace/shared/db';
import { getChainState } from '@minetrace/shared/db';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeStatusProvider } from '../http/health.route.js';

/** The API's Prometheus metrics; one registry per server so that several servers can share a process. */
export interface ApiMetrics {
  readonly registry: Registry;
  /** Records one GraphQL request: its outcome (`OK` or an error code) and duration. */
  observeRequest(operationType: string, outcome: string, seconds: number): void;
  /** The text exposition for `GET /metrics`. */
  render(): Promise<string>;
}

/**
 * Request counters and latency histograms, plus gauges read from the database at scrape time:
 * indexed height, lag behind the node, reorgs recorded, and rows of the derived tables.
 */
export function createApiMetrics(deps: { db: Db; nodeStatus?: NodeStatusProvider }): ApiMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'minetrace_api_requests_total',
    help: 'GraphQL requests by operation type and outcome (OK or the error code)',
    labelNames: ['operation_type', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'minetrace_api_request_duration_seconds',
    help: 'GraphQL request duration, from the first byte read to the last written',
    labelNames: ['operation_type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Operation types and outcomes (OK or an error code) are a few fixed words: the map stays small.
  const seriesByLabels = new Map<
    string,
    { count: Counter.Internal; latency: Histogram.Internal<'operation_type'> }
  >();
  const height = new Gauge({
    name: 'minetrace_indexer_height',
    help: 'Height of the indexed tip (-1 while nothing is indexed)',
    registers: [registry],
    async collect() {
      const state = await getChainState(deps.db).catch(() => undefined);
      this.set(state?.tip_height ?? -1);
    },
  });
  new Gauge({
    name: 'minetrace_indexer_lag_blocks',
    help: 'Blocks the indexed tip is behind the node (-1 when either is unknown)',
    registers: [registry],
    async collect() {
      const [state, node] = await Promise.all([
        getChainState(deps.db).catch(() => undefined),
        Promise.resolve(deps.nodeStatus?.()).catch(() => null),
      ]);
      const tip = state?.tip_height;
      this.set(tip == null || node?.height == null ? -1 : Math.max(0, node.height - tip));
    },
  });
  new Gauge({
    name: 'minetrace_reorgs_total',
    help: 'Rollbacks the follower has recorded',
    registers: [registry],
    async collect() {
      const row = await deps.db
        .selectFrom('reorgs')
        .select((eb) => eb.fn.countAll<bigint>().as('n'))
        .executeTakeFirst()
        .catch(() => undefined);
      this.set(Number(row?.n ?? 0));
    },
  });
  new Gauge({
    name: 'minetrace_derived_rows',
    help: 'Rows of the tables the indexer derives (payouts, clusters) — the work its jobs have done',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      for (const table of ['payouts', 'clusters'] as const) {
        const row = await deps.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<bigint>().as('n'))
          .executeTakeFirst()
          .catch(() => undefined);
        this.set({ table }, Number(row?.n ?? 0));
      }
    },
  });
  void height;
  return {
    registry,
    observeRequest(operationType, outcome, seconds) {
      // The labelled series, found once: naming them by their labels hashes the labels each time.
      const key = `${operationType}\0${outcome}`;
      let series = seriesByLabels.get(key);
      if (series === undefined) {
        series = {
          count: requests.labels({ operation_type: operationType, outcome }),
          latency: latency.labels({ operation_type: operationType }),
        };
        seriesByLabels.set(key, series);
      }
      series.count.inc();
      series.latency.observe(seconds);
    },
    render: () => registry.metrics(),
  };
}
