// What the router lends to its non-chat calls (embeddings, token counts): a single non-streamed
// exchange per attempt, routed by the same failover loop over the same state.
import type { SwitchboardError } from '../protocol/errors.ts';
import type { WireRequest, WireResponse } from '../providers/adapter.ts';
import type { Deployment } from './deployment.ts';
import type { Failover, RoutingState } from './failover.ts';
import type { Run } from './run.ts';

export interface OneShotOptions {
  signal?: AbortSignal | undefined;
  strategy?: string | undefined;
}

export interface OneShotContext {
  /** The routing state now (replaced on reload, so read per call). */
  state(): RoutingState;
  failover(): Failover;
  /** A run for the request under the config's deadline; throws for an unknown strategy. */
  run<Request extends { model: string }>(request: Request, options: OneShotOptions): Run<Request>;
  /** One exchange with a deployment under the run's deadline, and the wait its headers ask for. */
  exchange(
    deployment: Deployment,
    wire: WireRequest,
    run: Run<{ model: string }>,
  ): Promise<{ response: WireResponse; retryAfterMs: number | undefined }>;
  /** The 404 for a model no provider serves. */
  unknownModel(model: string): SwitchboardError;
}
