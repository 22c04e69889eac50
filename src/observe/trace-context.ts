// W3C trace context without OpenTelemetry loaded: reading a caller's `traceparent`, and carrying
// an attempt's own to the transport, which adds it to the upstream request.
import { AsyncLocalStorage } from 'node:async_hooks';

/** The `traceparent` the transport sends upstream for the attempt running in this async context. */
export const upstreamTraceparent = new AsyncLocalStorage<string>();

export interface RemoteParent {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/** `00-<32 hex>-<16 hex>-<2 hex>` (version 00; later versions are read the same way); undefined when it is not one. */
export function parseTraceparent(value: unknown): RemoteParent | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/.exec(value.trim());
  if (match === null || match[1] === 'ff') return undefined;
  const [, , traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}
