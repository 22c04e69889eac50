// Which deployments may take a request and in what order, as one pure function: the ones that
// are out (circuit open, rate-limited), cannot serve it (a feature it uses, an output it asks for)
// or are too small for it (its estimated tokens) are left out; the strategy orders the rest; a
// deployment close to its rate limit goes last; a conversation's pinned deployment goes first.
import { type Needs, type Unfit, unservable } from './capabilities.ts';
import type { Deployment } from './deployment.ts';
import { headroom, type Strategy, type StrategyContext } from './strategies.ts';

export interface PlanInput {
  candidates: readonly Deployment[];
  strategy: Strategy;
  context: StrategyContext;
  needs: Needs;
  /** The request's estimated input tokens; undefined: not estimated (no window is compared). */
  inputTokens: number | undefined;
  /** Whether a request may go to the deployment now (circuit closed, not rate-limited). */
  available(id: string): boolean;
  /** A deployment whose remaining requests or tokens fall below this share of its limit goes last. */
  headroomLimit: number;
  /** The deployment the request's conversation is pinned to, if any: first whenever it is in the plan. */
  pinned?: string | undefined;
  /** Reorders after the strategy (spreading a provider's keys by weight). */
  spread?: (ordered: Deployment[]) => Deployment[];
}

export interface Plan {
  /** Deployments to try now, in order. */
  ordered: Deployment[];
  /** Deployments that cannot take this request at all, and why. */
  unfit: Array<{ deployment: Deployment; reason: Unfit }>;
}

/** Filters and orders the candidates for one request (see the file comment). */
export function planCandidates(input: PlanInput): Plan {
  const unfit: Plan['unfit'] = [];
  const fit: Deployment[] = [];
  for (const deployment of input.candidates) {
    const reason = unservable(deployment.capabilities, input.needs, input.inputTokens);
    if (reason !== undefined) unfit.push({ deployment, reason });
    else if (input.available(deployment.id)) fit.push(deployment);
  }
  if (fit.length <= 1) return { ordered: fit, unfit };
  // A pinned request's order is settled: it does not take a turn of the weighted rotation, so new
  // conversations are spread by weight whatever the old ones do.
  const pinnedFits = input.pinned !== undefined && fit.some((deployment) => deployment.id === input.pinned);
  const strategyContext = pinnedFits ? { ...input.context, weights: undefined } : input.context;
  let ordered = input.strategy(fit, strategyContext);
  if (input.spread) ordered = input.spread(ordered);
  const { context, headroomLimit } = input;
  const roomy = ordered.filter((deployment) => headroom(context.health(deployment.id), context.now) >= headroomLimit);
  if (roomy.length > 0 && roomy.length < ordered.length) {
    ordered = [...roomy, ...ordered.filter((deployment) => !roomy.includes(deployment))];
  }
  const pinned = input.pinned === undefined ? -1 : ordered.findIndex((deployment) => deployment.id === input.pinned);
  if (pinned > 0) ordered = [ordered[pinned]!, ...ordered.slice(0, pinned), ...ordered.slice(pinned + 1)];
  return { ordered, unfit };
}
