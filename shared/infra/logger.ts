/**
 * Structured logging: one JSON object per line. Logs are data, so callers pass the facts as fields
 * and keep the message short, e.g.
 * `logger.info({ event: 'job.completed', jobId, durationMs }, 'job completed')`.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** A pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Which process is logging, e.g. `server` or `worker`; on every line. */
  role: string;
  /** Where lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: pino.DestinationStream;
}

/**
 * Paths whose values are replaced by `[redacted]`: bearer tokens, cookies, the token lists of the
 * configuration (logged whole or under a key such as `config`) and the Redis URL, which may hold a
 * password. A `*` matches one key.
 */
export const REDACTED_PATHS: readonly string[] = [
  'token',
  '*.token',
  'auth.token',
  '*.auth.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'req.headers.cookie',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'ingestTokens',
  'newsroomTokens',
  'metricsToken',
  'redisUrl',
  '*.ingestTokens',
  '*.newsroomTokens',
  '*.metricsToken',
  '*.redisUrl',
];

export function createLogger({ level, role, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { role, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: pino.stdSerializers.err },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    // Synchronous, so nothing is lost when the process exits right after logging.
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
