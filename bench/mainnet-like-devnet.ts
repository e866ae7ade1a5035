/**
 * Starts a devnet node serving the `mainnet-like` chain in a child process (so the chain's memory
 * and CPU are not charged to the indexer being measured) and drives it.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildOptions } from './mainnet-like-devnet.child.js';

export type MainnetLikeDevnet = Extract<ChildMessage, { type: 'ready' }> & {
  /** Mines the next mainnet-like block; resolves with the wall-clock time it was published. */
  mine(): Promise<Extract<ChildMessage, { type: 'mined' }>>;
  stop(): Promise<void>;
};

/** A numeric or text setting of a bench from the environment (benches read no config file). */
export function benchEnv(name: string, fallback: string): string {
  return process.env[name] ?? fallback;
}

const CHILD = fileURLToPath(new URL('./mainnet-like-devnet.child.ts', import.meta.url));

export async function startMainnetLikeDevnet(options: ChildOptions): Promise<MainnetLikeDevnet> {
  const child = fork(CHILD, [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=16384'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message as Extract<ChildMessage, { type: T }>);
      };
      child.on('message', onMessage);
      void exited.then((code) => reject(new Error(`the devnet process exited (${code})`)));
    });
  const ready = await next('ready');
  return {
    ...ready,
    mine() {
      const mined = next('mined');
      child.send({ type: 'mine' });
      return mined;
    },
    async stop() {
      if (child.exitCode === null) {
        child.send({ type: 'stop' });
        await exited;
      }
    },
  };
}
