// The gateway's logger: pino, one JSON line per request, credentials redacted by path
// (bodies are never logged at all). Pretty, coloured lines when stdout is a terminal.
import { type Logger, type LoggerOptions, pino } from 'pino';
import { createLogDestination } from './log-destination.ts';

/** What `startGateway({ logger })` accepts: pino options, a pino logger to log through, or false for silence. */
export type LoggerOption = LoggerOptions | Logger | false;

// Nothing logs headers or config today; these paths make sure nothing ever can by accident.
const redactPaths = [
  'authorization',
  'apiKey',
  'apiKeys',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.authorization',
  '*.apiKey',
  '*.apiKeys',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'providers.*.apiKey',
  '*.providers.*.apiKey',
];
const redact = { paths: redactPaths, censor: '[redacted]' };

export async function createLogger(option: LoggerOption | undefined, level: string): Promise<Logger> {
  if (option === false) return pino({ enabled: false });
  if (isLogger(option)) return option.child({}, { redact });
  const options: LoggerOptions = { level, ...option, redact: mergeRedact(option?.redact) };
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

function isLogger(option: LoggerOption | undefined): option is Logger {
  return typeof (option as Logger | undefined)?.child === 'function' && typeof (option as Logger).info === 'function';
}

function mergeRedact(extra: LoggerOptions['redact']): { paths: string[]; censor: string } {
  if (extra === undefined) return redact;
  const paths = Array.isArray(extra) ? extra : extra.paths;
  return { paths: [...redactPaths, ...paths], censor: redact.censor };
}
