// The work of `minetrace export-graph`, loaded only when the command runs (see
// export-graph.command.ts, which checks the command line first).
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type ExportedFile,
  exportFlowGraph,
  type FlowGraph,
  runTrace,
  type TraceRequest,
} from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { type Config, loadConfig } from '@minetrace/shared/config';
import { assertSchemaCurrent, migrateToLatest, openDb } from '@minetrace/shared/db';
import { apiClientFromEnv } from '../api-client.js';
import type { ExportGraphPlan } from './export-graph.command.js';
import { traceOverHttp } from './trace-over-http.js';

/** `minetrace export-graph`: runs the planned trace, here or on the server, and writes the graph. */
export async function exportGraphAction(plan: ExportGraphPlan): Promise<void> {
  if (plan.out !== null) await checkOutPath(plan);
  const client = apiClientFromEnv();
  const graph =
    client === null
      ? await traceLocally(loadConfig(process.env), plan.request)
      : await traceOverHttp(client, plan.request);
  const files = exportFlowGraph(graph, plan.format, plan.options);
  await writeFiles(files, plan.out);
  if (plan.out !== null) {
    process.stderr.write(
      `minetrace: wrote ${files.map((file) => file.name).join(', ')} (${graph.nodes.length} trace nodes, ${graph.edges.length} edges) to ${plan.out}\n`,
    );
  }
}

/** Runs the trace in this process on the configured database, as `minetrace api` would read it. */
async function traceLocally(config: Config, request: TraceRequest): Promise<FlowGraph> {
  const db = openDb(config);
  try {
    if (config.DATABASE_URL === undefined) await migrateToLatest(db);
    else await assertSchemaCurrent(db);
    return await runTrace(db, request);
  } finally {
    await db.destroy();
  }
}

/** Refuses an output path that cannot be written, before the trace runs. */
async function checkOutPath(plan: ExportGraphPlan): Promise<void> {
  const out = plan.out!;
  const existing = await stat(out).catch(() => null);
  if (plan.format === 'csv') {
    if (existing !== null && !existing.isDirectory()) {
      throw new NonRetryableError(
        `--out ${out} is a file; csv writes a directory with nodes.csv and edges.csv`,
      );
    }
    return;
  }
  if (existing?.isDirectory()) throw new NonRetryableError(`--out ${out} is a directory; give a file name`);
  const parent = await stat(path.dirname(path.resolve(out))).catch(() => null);
  if (parent === null || !parent.isDirectory()) {
    throw new NonRetryableError(`--out ${out}: directory ${path.dirname(path.resolve(out))} does not exist`);
  }
}

async function writeFiles(files: ExportedFile[], out: string | null): Promise<void> {
  if (out === null) {
    process.stdout.write(files[0]!.content);
    return;
  }
  if (files.length === 1) {
    await writeFile(out, files[0]!.content);
    return;
  }
  await mkdir(out, { recursive: true });
  for (const file of files) await writeFile(path.join(out, file.name), file.content);
}
