import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Authenticator } from '../auth/authenticator.js';
import type { FlowGraph } from '../investigate/trace.types.js';

/** The viewer's files: served as they are in the repository, so there is no build step. */
const ASSETS: Record<string, { file: URL | string; type: string }> = {
  '/graph': { file: new URL('./graph/index.html', import.meta.url), type: 'text/html; charset=utf-8' },
  '/graph/viewer.js': {
    file: new URL('./graph/viewer.js', import.meta.url),
    type: 'text/javascript; charset=utf-8',
  },
  '/graph/viewer.css': {
    file: new URL('./graph/viewer.css', import.meta.url),
    type: 'text/css; charset=utf-8',
  },
  '/graph/vendor/cytoscape.min.js': {
    file: createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

/** Largest flow graph the viewer may post for export. */
const MAX_EXPORT_BYTES = 32 * 1024 * 1024;

/** One written file of an export (CSV writes two: nodes and edges). */
export interface RenderedFile {
  name: string;
  mediaType: string;
  content: string;
}

export interface GraphViewerDeps {
  authenticator: Authenticator;
  /** Writes a flow graph in one of the export formats; throws for an unknown format. */
  render(graph: FlowGraph, format: string, options: { collapseClusters: boolean }): RenderedFile[];
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean | undefined>;

/** The routes of the viewer: its static files, and the export of the graph on screen. */
export function graphViewerRoutes(
  deps: GraphViewerDeps,
): Array<{ method: string; path: string; handler: Route }> {
  const routes: Array<{ method: string; path: string; handler: Route }> = [];
  for (const [path, asset] of Object.entries(ASSETS)) {
    const file = typeof asset.file === 'string' ? asset.file : fileURLToPath(asset.file);
    routes.push({
      method: 'GET',
      path,
      handler: async (_req, res) => {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
        res.end(body);
        return true;
      },
    });
  }
  routes.push({
    method: 'POST',
    path: '/graph/export',
    handler: async (req, res, url) => {
      const auth = await deps.authenticator.authenticate(req.headers.authorization, req.socket.remoteAddress);
      if (!auth.ok) return reply(res, 401, { error: auth.message });
      if (auth.principal.role === 'screener') {
        return reply(res, 403, { error: 'flow-graph exports need the investigator or admin role' });
      }
      const format = url.searchParams.get('format') ?? 'json';
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readBody(req, MAX_EXPORT_BYTES));
      } catch (err) {
        return reply(res, 400, { error: `the body must be a flow graph as JSON: ${(err as Error).message}` });
      }
      let graph: FlowGraph;
      try {
        graph = parseFlowGraph(parsed);
      } catch (err) {
        return reply(res, 400, { error: (err as Error).message });
      }
      const collapseClusters = (parsed as { collapseClusters?: unknown }).collapseClusters === true;
      let files: RenderedFile[];
      try {
        files = deps.render(graph, format, { collapseClusters });
      } catch (err) {
        return reply(res, 400, { error: (err as Error).message });
      }
      // A format of several files (CSV) is fetched one file at a time, by name.
      const wanted = url.searchParams.get('file');
      const file = wanted === null ? files[0] : files.find((f) => f.name === wanted);
      if (file === undefined) {
        return reply(res, 400, { error: `this export has the files ${files.map((f) => f.name).join(', ')}` });
      }
      res.writeHead(200, {
        'content-type': `${file.mediaType}; charset=utf-8`,
        'content-disposition': `attachment; filename="${file.name}"`,
        'x-export-files': files.map((f) => f.name).join(','),
      });
      res.end(file.content);
      return true;
    },
  });
  return routes;
}

function reply(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
  return true;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the viewer's JSON (amounts as decimal strings, as GraphQL gave them) back into a flow graph. */
export function parseFlowGraph(value: unknown): FlowGraph {
  const body = value as { nodes?: unknown; edges?: unknown; summary?: unknown };
  if (!Array.isArray(body.nodes) || !Array.isArray(body.edges)) {
    throw new Error('a flow graph needs `nodes` and `edges` arrays');
  }
  const sats = (v: unknown, where: string): bigint => {
    if (typeof v !== 'string' || !/^\d{1,19}$/.test(v))
      throw new Error(`${where} must be satoshis as a decimal string`);
    return BigInt(v);
  };
  const nodes = body.nodes.map((raw: unknown, i: number) => {
    const n = raw as Record<string, unknown>;
    if (typeof n.id !== 'string' || (n.kind !== 'tx' && n.kind !== 'address')) {
      throw new Error(`nodes[${i}] needs an id and a kind of tx or address`);
    }
    const cluster = n.cluster as { id?: unknown; size?: unknown } | null | undefined;
    const tags = Array.isArray(n.tags) ? (n.tags as Array<Record<string, unknown>>) : [];
    return {
      id: n.id,
      kind: n.kind,
      txid: typeof n.txid === 'string' ? n.txid : null,
      address: typeof n.address === 'string' ? n.address : null,
      clusterId: cluster && typeof cluster.id === 'string' ? BigInt(cluster.id) : null,
      clusterSize: cluster && typeof cluster.size === 'number' ? cluster.size : null,
      tags: tags.map((t) => ({
        label: String(t.label ?? ''),
        category: String(t.category ?? ''),
        source: String(t.source ?? ''),
        confidence: Number(t.confidence ?? 0),
      })),
      hop: Number(n.hop ?? 0),
      value: sats(n.value, `nodes[${i}].value`),
      taintedValue: sats(n.taintedValue, `nodes[${i}].taintedValue`),
      time: timeOf(n.time),
      stopped: n.stopped === true,
    } satisfies FlowGraph['nodes'][number];
  });
  const ids = new Set(nodes.map((n) => n.id));
  const edges = body.edges.map((raw: unknown, i: number) => {
    const e = raw as Record<string, unknown>;
    if (typeof e.from !== 'string' || typeof e.to !== 'string' || !ids.has(e.from) || !ids.has(e.to)) {
      throw new Error(`edges[${i}] must join two nodes of the graph`);
    }
    return {
      from: e.from,
      to: e.to,
      value: sats(e.value, `edges[${i}].value`),
      taintedValue: sats(e.taintedValue, `edges[${i}].taintedValue`),
      hop: Number(e.hop ?? 0),
      time: timeOf(e.time),
      n: typeof e.n === 'number' ? e.n : null,
    } satisfies FlowGraph['edges'][number];
  });
  return { nodes, edges, summary: null };
}

/** GraphQL's DateTime is ISO-8601; the flow graph keeps unix seconds. */
function timeOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
  }
  return null;
}
