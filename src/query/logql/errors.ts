import { VigilError } from '../../core/errors.js';

/**
 * A LogQL query that cannot be parsed or is not valid. Thrown by parseLogQL (and by the engine
 * for semantic problems found while planning); `position` is a 0-based offset into the query.
 */
export class LogQLParseError extends VigilError {
  readonly position: number;
  readonly line: number;
  readonly column: number;
  readonly expected: string | undefined;
  /** The message without its position prefix. */
  readonly reason: string;
  constructor(query: string, position: number, message: string, expected?: string) {
    const { line, column } = lineColumn(query, position);
    super('BAD_QUERY', `parse error at ${line}:${column}: ${message}`, { position, line, column, expected });
    this.name = 'VigilError';
    this.position = position;
    this.line = line;
    this.column = column;
    this.expected = expected;
    this.reason = message;
  }
}

/** 1-based line and column of a 0-based offset. */
export function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

/**
 * The query with a caret under the problem, then the message; the CLI prints it.
 * Errors without a position (not LogQLParseError) give just their message.
 */
export function formatQueryError(query: string, err: unknown): string {
  if (!(err instanceof LogQLParseError)) return err instanceof Error ? err.message : String(err);
  const lines = query.split('\n');
  const text = lines[err.line - 1] ?? '';
  return `${text}\n${' '.repeat(Math.max(0, err.column - 1))}^\n${err.message}`;
}

/** An error of a query that parsed but cannot run (unsupported construct, pipeline error in a metric query). */
export function queryError(message: string, details?: Record<string, unknown>): VigilError {
  return new VigilError('BAD_QUERY', message, details);
}
