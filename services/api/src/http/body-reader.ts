import type { IncomingMessage } from 'node:http';

/** Why a body was not read: too large (413) or cut off by the client (400). */
export type BodyRefusal = { status: 400 | 413; message: string };

/**
 * Reads a request body of at most `maxBytes`. A larger one is refused from its `content-length`
 * before it is read, or once the count passes the limit; the rest is read and dropped (Node does
 * that when the answer ends first), so the client gets the 413 instead of a broken connection.
 */
export function readBodyWithin(req: IncomingMessage, maxBytes: number): Promise<Buffer | BodyRefusal> {
  const tooLarge: BodyRefusal = { status: 413, message: `request body larger than ${maxBytes} bytes` };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(tooLarge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Still flowing without a listener: the rest is dropped as it arrives.
        req.off('data', onData).off('end', onEnd);
        chunks.length = 0;
        resolve(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    // A client that hangs up mid-body gets no answer; the promise settles (the first call wins).
    const onCut = () => resolve({ status: 400, message: 'the body was cut off' });
    req.on('data', onData).on('end', onEnd).on('error', onCut).on('close', onCut);
  });
}
