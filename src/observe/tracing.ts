// OpenTelemetry traces, off unless configured: a span per request and a child per attempt, named
// and attributed after the GenAI semantic conventions (gen_ai.*), exported over OTLP/HTTP. The
// @opentelemetry packages are imported only when tracing is on. No prompt or answer text is ever
// put on a span.
import type { Span, Tracer } from '@opentelemetry/api';
import type { Config } from '../config/schema.ts';
import type { Usage } from '../protocol/chat.ts';
import { parseTraceparent } from './trace-context.ts';

type Api = typeof import('@opentelemetry/api');

/** Where spans go: `telemetry.otlp.endpoint` (a base URL; `/v1/traces` is added), else the standard OTEL_EXPORTER_OTLP_* variables. */
export function tracesEndpoint(config: Config, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = config.telemetry?.otlp?.endpoint;
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  const base = configured ?? (traces ? undefined : env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  if (base === undefined || base === '') return traces || undefined;
  return base.replace(/\/+$/, '').endsWith('/v1/traces') ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** What an attempt's span says when it ends. */
export interface AttemptEnd {
  outcome: string;
  status: number;
  hedge?: boolean;
  usage?: Usage | null | undefined;
  /** For a stream: the attempt ends at its first content. */
  firstTokenMs?: number;
}

export interface AttemptSpan {
  /** The `traceparent` for the upstream request: this attempt's span as parent. */
  readonly traceparent: string;
  end(result: AttemptEnd): void;
}

/** One request's span; its attempts are children. Ending twice is harmless. */
export interface RequestTrace {
  attempt(deployment: { id: string; provider: string; providerModel: string; protocol: string }): AttemptSpan;
  answered(details: {
    deployment: string;
    provider: string;
    responseModel?: string;
    usage?: Usage | null | undefined;
    costUsd?: number | undefined;
  }): void;
  failed(kind: string, status: number): void;
  end(): void;
}

export class Tracing {
  readonly #api: Api;
  readonly #tracer: Tracer;
  readonly #shutdown: () => Promise<void>;

  private constructor(api: Api, tracer: Tracer, shutdown: () => Promise<void>) {
    this.#api = api;
    this.#tracer = tracer;
    this.#shutdown = shutdown;
  }

  /** Loads the OpenTelemetry packages and sets up an OTLP/HTTP (JSON) exporter to `url`. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<Tracing> {
    const [api, sdk, exporter, resources] = await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
    const provider = new sdk.TracerProvider({
      resource: resources.resourceFromAttributes({ 'service.name': process.env['OTEL_SERVICE_NAME'] ?? 'switchboard' }),
      spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new exporter.OTLPTraceExporter({ url, headers }) })],
    });
    return new Tracing(api, provider.getTracer('switchboard'), () => provider.shutdown());
  }

  /** Starts a request's span, a child of the caller's `traceparent` when it sent a valid one. */
  startRequest(model: string, traceparent?: string): RequestTrace {
    const { trace, ROOT_CONTEXT, SpanKind, SpanStatusCode } = this.#api;
    const remote = parseTraceparent(traceparent);
    const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, { ...remote, isRemote: true }) : ROOT_CONTEXT;
    const span = this.#tracer.startSpan(
      `chat ${model}`,
      { kind: SpanKind.SERVER, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model } },
      parent,
    );
    const inside = trace.setSpan(ROOT_CONTEXT, span);
    let attempts = 0;
    let ended = false;
    return {
      attempt: (deployment) => {
        attempts++;
        const child = this.#tracer.startSpan(
          `chat ${deployment.providerModel}`,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': deployment.provider,
              'gen_ai.system': deployment.provider,
              'gen_ai.request.model': deployment.providerModel,
              'switchboard.deployment': deployment.id,
              'switchboard.protocol': deployment.protocol,
              'switchboard.attempt': attempts,
            },
          },
          inside,
        );
        const context = child.spanContext();
        return {
          traceparent: `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`,
          end: (result) => {
            child.setAttribute('switchboard.outcome', result.outcome);
            if (result.status > 0) child.setAttribute('http.response.status_code', result.status);
            if (result.hedge) child.setAttribute('switchboard.hedge', true);
            if (result.firstTokenMs !== undefined)
              child.setAttribute('switchboard.time_to_first_token_ms', Math.round(result.firstTokenMs));
            usageAttributes(child, result.usage);
            if (result.outcome !== 'ok') {
              child.setAttribute('error.type', result.outcome);
              child.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
            }
            child.end();
          },
        };
      },
      answered: (details) => {
        span.setAttribute('switchboard.deployment', details.deployment);
        span.setAttribute('gen_ai.provider.name', details.provider);
        if (details.responseModel) span.setAttribute('gen_ai.response.model', details.responseModel);
        if (details.costUsd !== undefined) span.setAttribute('switchboard.cost_usd', details.costUsd);
        usageAttributes(span, details.usage);
      },
      failed: (kind, status) => {
        span.setAttribute('error.type', kind);
        if (status > 0) span.setAttribute('http.response.status_code', status);
        span.setStatus({ code: SpanStatusCode.ERROR, message: kind });
      },
      end: () => {
        if (ended) return;
        ended = true;
        span.setAttribute('switchboard.attempts', attempts);
        span.end();
      },
    };
  }

  /** Sends what is buffered and stops. */
  shutdown(): Promise<void> {
    return this.#shutdown();
  }
}

function usageAttributes(span: Span, usage: Usage | null | undefined): void {
  if (!usage) return;
  span.setAttribute('gen_ai.usage.input_tokens', usage.prompt_tokens);
  span.setAttribute('gen_ai.usage.output_tokens', usage.completion_tokens);
}
