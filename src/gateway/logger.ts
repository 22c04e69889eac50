// The gateway's logger: pino, one JSON line per request (bodies are never logged at all). Pretty,
// coloured lines when stdout is a terminal. Credentials are scrubbed where they could enter a line
// (an error's message, when it is made); the field names below are a last guard, checked by a walk
// that costs a few property reads per line. (pino's path redaction copied and re-walked every line:
// about 4 % of the gateway's CPU at the default log level, measured with `npm run bench -- --profile`.)
import { type Logger, type LoggerOptions, pino } from 'pino';
import { createLogDestination } from './log-destination.ts';

/** What `startGateway({ logger })` accepts: pino options, a pino logger to log through, or false for silence. */
export type LoggerOption = LoggerOptions | Logger | false;

/** Field names whose values are credentials, wherever they appear in a logged object. */
const credentialFields = new Set(['authorization', 'apiKey', 'apiKeys', 'x-api-key', 'api-key']);
const censor = '[redacted]';
/** How deep the guard looks: `providers.<name>.apiKey` inside a logged field is four levels down. */
const guardDepth = 4;
// Only for a logger passed in, whose log formatter is its own.
const redact = {
  paths: [
    'authorization',
    'apiKey',
    'apiKeys',
    '*.authorization',
    '*.apiKey',
    '*.apiKeys',
    'headers["x-api-key"]',
    '*.headers["x-api-key"]',
    '*.headers.authorization',
    'providers.*.apiKey',
    '*.providers.*.apiKey',
  ],
  censor,
};

export async function createLogger(option: LoggerOption | undefined, level: string): Promise<Logger> {
  if (option === false) return pino({ enabled: false });
  if (isLogger(option)) return option.child({}, { redact });
  const options: LoggerOptions = {
    level,
    ...option,
    formatters: { ...option?.formatters, log: guardCredentials(option?.formatters?.log) },
  };
  if (options.transport !== undefined) return pino(options);
  if (process.stdout.isTTY) {
    const { default: pretty } = await import('pino-pretty');
    return pino(
      options,
      pretty({ colorize: true, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
    );
  }
  // Asynchronous writes batch lines under load instead of one write(2) per request; flushed on close.
  // A closed or failing stdout is reported once on stderr and then dropped (log-destination.ts).
  return pino(options, createLogDestination({ fd: 1 }));
}

type LogFormatter = (object: Record<string, unknown>) => Record<string, unknown>;

function guardCredentials(then: LogFormatter | undefined): LogFormatter {
  return then === undefined
    ? (object) => withoutCredentials(object, guardDepth)
    : (object) => then(withoutCredentials(object, guardDepth));
}

/**
 * `object` with every credential field censored, up to `depth` levels down (lists included, as
 * `providers.*.apiKey` did). The object itself when there is none (every request line): nothing is
 * copied unless something must change.
 */
export function withoutCredentials(object: Record<string, unknown>, depth: number): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    let guarded = value;
    if (credentialFields.has(key)) guarded = censor;
    else if (depth > 1 && value !== null && typeof value === 'object') {
      guarded = withoutCredentials(value as Record<string, unknown>, depth - 1);
    }
    if (guarded !== value) {
      copy ??= copyOf(object);
      copy[key] = guarded;
    }
  }
  return copy ?? object;
}

// The formatter runs before pino's serializers: a copied error must stay an error (its class,
// message, stack and cause are not enumerable, and a spread drops them), or its line loses them.
function copyOf(object: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(object)) return [...object] as unknown as Record<string, unknown>;
  if (!(object instanceof Error)) return { ...object };
  const copy = Object.create(Object.getPrototypeOf(object)) as Record<string, unknown>;
  for (const name of ['message', 'stack', 'cause'] as const) {
    if (Object.hasOwn(object, name))
      Object.defineProperty(copy, name, { value: object[name], writable: true, configurable: true });
  }
  return Object.assign(copy, object);
}

function isLogger(option: LoggerOption | undefined): option is Logger {
  return typeof (option as Logger | undefined)?.child === 'function' && typeof (option as Logger).info === 'function';
}
