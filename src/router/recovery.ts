// Recovery on evidence: while a deployment's circuit is open, probe it on the schedule its
// circuit carries (health.ts) and close it on the first success. Each probe holds a lease in
// the state store, so among replicas sharing one store only one probes a deployment at a time.
// Also the opt-in periodic checks of healthy deployments, spread over their interval.
import type { Deployment } from './deployment.ts';
import type { ProbeResult } from './probe.ts';
import type { FailoverTracker } from './tracker.ts';

export interface RecoveryOptions {
  tracker: FailoverTracker;
  /** The configured deployments, read per use (they change on reload). */
  deployments(): readonly Deployment[];
  /** Sends one probe; never rejects. */
  probe(deployment: Deployment): Promise<ProbeResult>;
  /** A probe's longest run, in ms (it also bounds the lease). */
  timeoutMs(): number;
  /** What a failed check of a healthy deployment means for its health (the failover table's consequence). */
  checkFailed(deployment: Deployment, result: ProbeResult): void;
  /** What a successful probe or check's headers say of rate limits. */
  noteHeaders(deployment: Deployment, headers: Record<string, string>): void;
}

/** Longest wait between two looks at the schedule: a circuit opened by another replica is noticed by its message, this is a backstop. */
const backstopMs = 1000;

export class Recovery {
  readonly #options: RecoveryOptions;
  readonly #probing = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #checkTimer: NodeJS.Timeout | undefined;
  #checkNext = 0;
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(options: RecoveryOptions) {
    this.#options = options;
    // A circuit opened here or by another replica sharing the store: look at the schedule again.
    this.#unsubscribe = options.tracker.store.subscribe((id) => {
      const circuit = options.tracker.health(id).health.circuit;
      if (circuit.state === 'open') this.arm(circuit.nextProbeAt);
    });
  }

  /** Makes sure the schedule is looked at by `at` (epoch ms); default: now. */
  arm(at = Date.now()): void {
    if (this.#closed || at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, at - Date.now()));
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    const { tracker } = this.#options;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const deployment of this.#options.deployments()) {
      const circuit = tracker.health(deployment.id).health.circuit;
      if (circuit.state !== 'open') continue;
      if (!this.#probing.has(deployment.id) && tracker.beginTrial(deployment.id, now, this.#leaseMs())) {
        // A store closed under a running probe must not become an unhandled rejection.
        this.#probe(deployment).catch(() => {});
        continue;
      }
      next = Math.min(next, Math.max(circuit.nextProbeAt, circuit.trialUntil));
    }
    if (next < Number.POSITIVE_INFINITY) this.arm(Math.min(next, now + backstopMs));
  }

  #leaseMs(): number {
    return this.#options.timeoutMs() + 1000;
  }

  async #probe(deployment: Deployment): Promise<void> {
    const { tracker } = this.#options;
    const lease = `probe:${deployment.id}`;
    this.#probing.add(deployment.id);
    try {
      // Another replica holds the lease: it probes, and its result reaches this one by message.
      if (!(await tracker.store.acquireLease(lease, this.#leaseMs()))) return;
      try {
        await this.#send(deployment, (result) => tracker.trialFailed(deployment.id, Date.now(), result.error?.message, false));
      } finally {
        await tracker.store.releaseLease(lease);
      }
    } finally {
      this.#probing.delete(deployment.id);
      const circuit = tracker.health(deployment.id).health.circuit;
      if (circuit.state === 'open') this.arm(Math.max(circuit.nextProbeAt, circuit.trialUntil));
    }
  }

  /** Sends one probe or check: a success counts for the deployment and its headers are noted; a failure goes to `failed`. */
  async #send(deployment: Deployment, failed: (result: ProbeResult) => void): Promise<void> {
    const result = await this.#options.probe(deployment);
    if (this.#closed) return;
    if (result.healthy) {
      this.#options.tracker.recordSuccess(deployment.id, result.latencyMs);
      this.#options.noteHeaders(deployment, result.headers ?? {});
    } else {
      failed(result);
    }
  }

  /**
   * Checks every healthy deployment once per `intervalMs`, one at a time at even spacing, so a
   * provider with many models is not sent them all at once; 0 stops the checks.
   */
  scheduleChecks(intervalMs: number): void {
    clearInterval(this.#checkTimer);
    this.#checkTimer = undefined;
    if (intervalMs <= 0 || this.#closed) return;
    const count = Math.max(1, this.#options.deployments().length);
    this.#checkTimer = setInterval(() => this.#checkOne(intervalMs).catch(() => {}), Math.max(1, Math.floor(intervalMs / count)));
    // Background checks never keep the process alive on their own.
    this.#checkTimer.unref();
  }

  async #checkOne(intervalMs: number): Promise<void> {
    const deployments = this.#options.deployments();
    if (deployments.length === 0) return;
    const deployment = deployments[this.#checkNext % deployments.length] as Deployment;
    this.#checkNext = (this.#checkNext + 1) % deployments.length;
    const { tracker } = this.#options;
    // Open circuits are the recovery probes' job; a check is for deployments in service.
    if (!tracker.isHealthy(deployment.id) || this.#probing.has(deployment.id)) return;
    // One replica checks each deployment per interval.
    if (!(await tracker.store.acquireLease(`check:${deployment.id}`, Math.max(1, intervalMs - 50)))) return;
    this.#probing.add(deployment.id);
    try {
      await this.#send(deployment, (result) => this.#options.checkFailed(deployment, result));
    } finally {
      this.#probing.delete(deployment.id);
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#checkTimer);
    this.#unsubscribe();
  }
}
