// Bytes a well-behaved HTTP client would never send, over a plain TCP socket: malformed request
// lines, illegal header characters, oversized headers. Resolves with whatever came back.
import { connect } from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed without a status line. */
  status: number;
  headers: string;
  body: string;
}

/** Writes `bytes` to the gateway and reads until it closes the connection or `timeoutMs` (3 s) passes. */
export function sendRaw(url: string, bytes: string | Buffer, timeoutMs = 3000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      let body = split === -1 ? '' : text.slice(split + 4);
      if (/transfer-encoding: chunked/i.test(head)) body = dechunk(body);
      resolve({ status, headers: head, body });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (data: Buffer) => {
      received.push(data);
      // One answer is enough: stop once a Content-Length body is complete.
      const text = Buffer.concat(received).toString('utf8');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      const split = text.indexOf('\r\n\r\n');
      if (length !== undefined && split !== -1 && Buffer.byteLength(text.slice(split + 4)) >= Number(length)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(bytes);
  });
}

function dechunk(body: string): string {
  let result = '';
  let rest = body;
  for (let guard = 0; guard < 10_000; guard++) {
    const line = rest.indexOf('\r\n');
    if (line === -1) break;
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) break;
    result += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
  return result;
}
