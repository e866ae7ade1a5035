import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DevnetChain } from './chain/chain.types.js';
import { createDevnetChain } from './chain/index.js';
import { createRestHandler } from './rest/rest-handler.js';
import { createFaults, type Faults } from './rpc/rpc-faults.js';
import { createRpcHttpHandler } from './rpc/rpc-http.js';
import { createRpcMethods } from './rpc/rpc-methods.js';
import { createZmqPublisher, type ZmqPublisher } from './zmq/zmq-publisher.js';

export interface DevnetNodeOptions {
  /** The chain to serve; a fresh regtest chain (genesis only) when omitted. Reuse it to restart a node. */
  chain?: DevnetChain;
  /** JSON-RPC and REST port. @defaultValue 0 (an ephemeral port; read it from `rpcUrl`) */
  rpcPort?: number;
  /** With `rpcPassword`, accepted for HTTP Basic auth besides the cookie. */
  rpcUser?: string;
  rpcPassword?: string;
  /** When given, the cookie is written to `<datadir>/regtest/.cookie` and removed on stop. */
  datadir?: string;
  /**
   * ZMQ PUB endpoint for every topic; `null` disables ZMQ.
   * @defaultValue `tcp://<host>:0` (an ephemeral port; read it from `zmqUrl`)
   */
  zmqEndpoint?: string | null;
  /** @defaultValue '127.0.0.1' */
  host?: string;
}

/** A running devnet node. Stopping it leaves `chain` intact, so a new node can serve it on the same port. */
export interface DevnetNode {
  /** `http://<user>:<password>@<host>:<port>/`: rpcuser/rpcpassword when set, else the cookie's. */
  readonly rpcUrl: string;
  readonly rpcPort: number;
  readonly rpcUser: string;
  readonly rpcPassword: string;
  /** `http://<host>:<port>/rest` (no auth, as bitcoind's REST). */
  readonly restUrl: string;
  /** The bound ZMQ endpoint, or null when ZMQ is disabled. */
  readonly zmqUrl: string | null;
  /** `<datadir>/regtest/.cookie`, or null without a datadir (the cookie then lives in memory only). */
  readonly cookiePath: string | null;
  readonly chain: DevnetChain;
  /** Fault injection for client tests; see `FaultSettings`. */
  readonly faults: Faults;
  /** Publisher test hooks (drop/duplicate messages, counters), or null when ZMQ is disabled. */
  readonly zmq: ZmqPublisher | null;
  /** Closes the HTTP server (dropping open connections) and the ZMQ socket, and removes the cookie. */
  stop(): Promise<void>;
}

const COOKIE_USER = '__cookie__';
/** Largest request body accepted, well above any regtest block submitted as hex. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts bitcoind-compatible JSON-RPC, REST and ZMQ servers over a devnet chain. */
export async function startDevnetNode(options: DevnetNodeOptions = {}): Promise<DevnetNode> {
  const host = options.host ?? '127.0.0.1';
  const chain = options.chain ?? createDevnetChain();
  const faults = createFaults();
  const startedAt = Math.floor(Date.now() / 1000);
  const cookie = `${COOKIE_USER}:${randomBytes(32).toString('hex')}`;
  const credentials: string[] = [cookie];
  if (options.rpcUser !== undefined && options.rpcPassword !== undefined) {
    credentials.push(`${options.rpcUser}:${options.rpcPassword}`);
  }

  let cookiePath: string | null = null;
  if (options.datadir !== undefined) {
    const dir = join(options.datadir, 'regtest');
    await mkdir(dir, { recursive: true });
    cookiePath = join(dir, '.cookie');
    await writeFile(cookiePath, cookie, { mode: 0o600 });
  }

  const methods = createRpcMethods({ chain, faults, startedAt });
  const rpc = createRpcHttpHandler({ methods, credentials: () => credentials });
  const rest = createRestHandler({ chain, methods, faults });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (body === null) {
      res.writeHead(413).end();
      return;
    }
    if (faults.takeBusy()) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Work queue depth exceeded');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://devnet');
    if (url.pathname.startsWith('/rest/')) {
      if (req.method !== 'GET') res.writeHead(405).end();
      else rest(res, url);
      return;
    }
    rpc(req, res, body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });
  const rpcPort = await listen(server, options.rpcPort ?? 0, host);

  let zmq: ZmqPublisher | null = null;
  const zmqEndpoint = options.zmqEndpoint === undefined ? `tcp://${host}:0` : options.zmqEndpoint;
  try {
    if (zmqEndpoint !== null) zmq = await createZmqPublisher({ chain, endpoint: zmqEndpoint });
  } catch (err) {
    server.closeAllConnections();
    server.close();
    if (cookiePath !== null) await rm(cookiePath, { force: true });
    throw err;
  }

  const [user, password] = credentials[credentials.length - 1]!.split(/:(.*)/s) as [string, string];
  let stopped: Promise<void> | null = null;
  return {
    rpcUrl: `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${rpcPort}/`,
    rpcPort,
    rpcUser: user,
    rpcPassword: password,
    restUrl: `http://${host}:${rpcPort}/rest`,
    zmqUrl: zmq?.url ?? null,
    cookiePath,
    chain,
    faults,
    zmq,
    stop() {
      stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([closed, zmq?.close()]);
        if (cookiePath !== null) await rm(cookiePath, { force: true });
      })();
      return stopped;
    },
  };
}
