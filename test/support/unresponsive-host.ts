// A host that completes no TCP handshake, on 127.0.0.1: a listener in a stopped process whose
// accept queue is full, so the kernel drops further SYNs and a connect waits until its timeout
// (as a firewalled or overloaded host does).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface UnresponsiveHost {
  /** `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** Kills the listener and closes the connections that filled its queue. */
  close(): void;
}

export async function startUnresponsiveHost(): Promise<UnresponsiveHost> {
  const listener = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(listener.stdout, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  listener.kill('SIGSTOP');
  // A backlog of 1 holds two completed handshakes; four make sure the queue is full.
  const fillers = Array.from({ length: 4 }, () => connect(port, '127.0.0.1').on('error', () => {}));
  await sleep(200);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close() {
      listener.kill('SIGKILL');
      for (const filler of fillers) filler.destroy();
    },
  };
}
