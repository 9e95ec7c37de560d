/**
 * The error catalog: every error Vigil reports to a user carries one stable code from here.
 * The HTTP API maps codes to statuses in one place (src/server/errors.ts).
 */
export const ErrorCodes = {
  CONFIG_INVALID: { status: 400, message: 'invalid configuration' },
  BAD_REQUEST: { status: 400, message: 'bad request' },
  BAD_QUERY: { status: 400, message: 'bad query' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported media type' },
  LIMIT_EXCEEDED: { status: 400, message: 'limit exceeded' },
  RATE_LIMITED: { status: 429, message: 'rate limited' },
  UNAUTHORIZED: { status: 401, message: 'unauthorized' },
  NOT_FOUND: { status: 404, message: 'not found' },
  QUERY_TIMEOUT: { status: 504, message: 'query timed out' },
  UNAVAILABLE: { status: 503, message: 'unavailable' },
  STORE_CORRUPT: { status: 500, message: 'corrupt data' },
  INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** An error a user can act on: a stable code, a message that says what and where, optional details. */
export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VigilError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return ErrorCodes[this.code].status;
  }
}

/** True when `e` is a VigilError (also across module copies). */
export function isVigilError(e: unknown): e is VigilError {
  return e instanceof VigilError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'VigilError');
}

/** A short text for any thrown value, for logs (`error` field). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
