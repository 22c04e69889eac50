// Preloaded into Portkey's gateway (`node --import`): its bin calls listen(port) with no host,
// which binds every interface. This binds 127.0.0.1 instead; it runs once, at startup.
import { Server } from 'node:net';

const listen = Server.prototype.listen;
Server.prototype.listen = function listenOnLoopback(this: Server, ...args: unknown[]) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    if (args[1] === undefined) args[1] = '127.0.0.1';
    else args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args as Parameters<typeof listen>);
} as typeof listen;
