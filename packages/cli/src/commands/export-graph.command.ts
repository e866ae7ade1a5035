import type {
  EXPORT_FORMATS as API_EXPORT_FORMATS,
  ExportFormat,
  ExportOptions,
  TraceDirection,
  TracePolicy,
  TraceRequest,
} from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import type { Command } from 'commander';

/**
 * The export formats, spelled out so that `--help` does not load the API; `satisfies` makes any
 * difference from `EXPORT_FORMATS` of `@minetrace/api` (a format, the order) a compile error.
 */
const EXPORT_FORMATS = ['json', 'graphml', 'gexf', 'dot', 'csv'] as const satisfies typeof API_EXPORT_FORMATS;
const POLICIES: readonly TracePolicy[] = ['poison', 'haircut', 'fifo', 'lifo', 'tiho'];
const DIRECTIONS: readonly TraceDirection[] = ['forward', 'backward'];
/** As the GraphQL `trace` query defaults, so a local and a remote trace agree. */
const DEFAULT_MAX_NODES = 500;

/** The command line as commander hands it over, before validation. */
export interface ExportGraphArguments {
  from: string[];
  pool?: string;
  hops: string;
  policy: string;
  direction: string;
  stopAt: string[];
  maxNodes: string;
  format: string;
  collapseClusters?: boolean;
  minValue?: string;
  out?: string;
}

export interface ExportGraphPlan {
  request: TraceRequest;
  format: ExportFormat;
  options: ExportOptions;
  /** A file (one-file formats) or a directory (CSV); stdout when absent. */
  out: string | null;
}

/**
 * `minetrace export-graph`: runs a trace and writes it as a flow graph (GraphML, GEXF, DOT,
 * Cytoscape JSON or CSV, see docs/exports.md). The trace runs in this process against the
 * configured database, or, when `MINETRACE_API_URL` is set, on that server through its GraphQL
 * `trace` query; the file is written here either way.
 */
export function registerExportGraph(program: Command): void {
  program
    .command('export-graph')
    .description(
      'trace funds from addresses or a pool and write the flow graph (graphml, gexf, dot, json, csv)',
    )
    .option('--from <address>', 'source address (repeat for several)', collect, [])
    .option('--pool <slug>', "every payout of this pool is a source (see 'minetrace pools')")
    .requiredOption('--hops <n>', 'transactions to walk through from the sources, at most')
    .requiredOption('--policy <policy>', `how taint passes through a transaction: ${POLICIES.join(', ')}`)
    .option(
      '--direction <direction>',
      'forward (where the money went) or backward (where it came from)',
      'forward',
    )
    .option(
      '--stop-at <category>',
      'tag category where the walk stops, e.g. exchange (repeat for several)',
      collect,
      [],
    )
    .option('--max-nodes <n>', 'nodes in the trace, at most', String(DEFAULT_MAX_NODES))
    .option('--format <format>', EXPORT_FORMATS.join(', '), 'graphml')
    .option('--collapse-clusters', 'one node per cluster instead of one per address, edges summed')
    .option('--min-value <sats>', 'leave out edges moving fewer satoshis, and the nodes that leaves alone')
    .option('--out <path>', 'file to write (a directory for csv: nodes.csv and edges.csv); stdout by default')
    .action(async (args: ExportGraphArguments) => {
      const plan = planExportGraph(args);
      const { exportGraphAction } = await import('./export-graph.action.js');
      await exportGraphAction(plan);
    });
}

/** Checks the command line and turns it into a trace request and export options; nothing runs before this passes. */
export function planExportGraph(args: ExportGraphArguments): ExportGraphPlan {
  const addresses = args.from.map((address) => address.trim());
  if (addresses.some((address) => address.length === 0))
    throw new NonRetryableError('--from needs an address');
  const pool = args.pool?.trim();
  if (pool !== undefined && pool.length === 0) throw new NonRetryableError('--pool needs a pool slug');
  if (addresses.length === 0 && pool === undefined) {
    throw new NonRetryableError('give the trace a source: --from ADDRESS (repeatable) and/or --pool SLUG');
  }
  if (!POLICIES.includes(args.policy as TracePolicy)) {
    throw new NonRetryableError(`--policy must be one of ${POLICIES.join(', ')}, got '${args.policy}'`);
  }
  if (!DIRECTIONS.includes(args.direction as TraceDirection)) {
    throw new NonRetryableError(`--direction must be forward or backward, got '${args.direction}'`);
  }
  if (!(EXPORT_FORMATS as readonly string[]).includes(args.format)) {
    throw new NonRetryableError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${args.format}'`);
  }
  const format = args.format as ExportFormat;
  if (format === 'csv' && args.out === undefined) {
    throw new NonRetryableError('csv is two files (nodes.csv and edges.csv): give --out DIRECTORY');
  }
  const stopAt = args.stopAt.map((category) => category.trim());
  if (stopAt.some((category) => category.length === 0))
    throw new NonRetryableError('--stop-at needs a tag category');
  return {
    request: {
      from: {
        ...(addresses.length > 0 ? { addresses } : {}),
        ...(pool !== undefined ? { payoutsOfPool: pool } : {}),
      },
      direction: args.direction as TraceDirection,
      policy: args.policy as TracePolicy,
      maxHops: positiveInteger('--hops', args.hops),
      minValue: 0n,
      maxNodes: positiveInteger('--max-nodes', args.maxNodes),
      stopAt,
    },
    format,
    options: {
      collapseClusters: args.collapseClusters === true,
      minEdgeValue: args.minValue === undefined ? 0n : satoshis('--min-value', args.minValue),
    },
    out: args.out ?? null,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(flag: string, value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
    throw new NonRetryableError(`${flag} must be a positive integer, got '${value}'`);
  }
  return Number(value);
}

function satoshis(flag: string, value: string): bigint {
  if (!/^\d{1,19}$/.test(value))
    throw new NonRetryableError(`${flag} must be a whole number of satoshis, got '${value}'`);
  return BigInt(value);
}
