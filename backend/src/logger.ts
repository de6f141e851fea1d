// Structured JSON logs (pino). Times in ISO with offset; the reader chooses the zone.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'firelink' }, timestamp: pino.stdTimeFunctions.isoTime });
}
