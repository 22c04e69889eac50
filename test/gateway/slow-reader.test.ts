// A client that reads a stream slower than the upstream writes it: the gateway holds a bounded
// amount in between (the upstream socket is paused, not read into memory), and once the client
// leaves, the upstream request is closed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gateway, hello, providersFor } from './helpers.ts';

/** An upstream whose stream never ends, written as fast as its client takes it. */
async function endlessStream(t: import('node:test').TestContext) {
  const state = { written: 0, closed: false };
  const payload = JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content: 'word '.repeat(200) }, finish_reason: null }],
  });
  const event = `data: ${payload}\n\n`;
  const server = createServer(async (request, response: ServerResponse) => {
    for await (const _ of request);
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.on('close', () => {
      state.closed = true;
    });
    while (!response.destroyed) {
      state.written += event.length;
      if (!response.write(event)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, state };
}

it('a slow reader: what the gateway holds between the upstream and the client stays bounded; leaving closes the upstream', {
  timeout: 20_000,
}, async (t) => {
  const upstream = await endlessStream(t);
  const switchboard = await gateway(t, providersFor([upstream.url], { server: { writeTimeoutMs: 10_000 } }));
  const { port } = new URL(switchboard.url);
  const client = connect(Number(port), '127.0.0.1');
  client.on('error', () => {});
  t.after(() => client.destroy());
  let received = 0;
  // Reads a little every 50 ms: about 1 MB/s, far slower than the upstream can write.
  client.on('data', (data: Buffer) => {
    received += data.length;
    client.pause();
    setTimeout(() => client.resume(), 50);
  });
  const body = JSON.stringify({ ...hello, stream: true });
  client.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  await sleep(2000);
  assert.ok(received > 0, 'the client got part of the stream');
  // Socket buffers on the loopback hold some megabytes (about 9 measured); an upstream read without
  // pause runs to hundreds (419 MB measured with the transport's pause taken out).
  const between = upstream.state.written - received;
  assert.ok(between < 48 * 1024 * 1024, `${between} bytes written by the upstream and not yet read by the client`);
  client.destroy();
  for (let waited = 0; !upstream.state.closed && waited < 3000; waited += 20) await sleep(20);
  assert.ok(upstream.state.closed, 'the upstream request is still open 3 s after the client left');
});
