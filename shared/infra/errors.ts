/** A failure with a stable code a client can branch on, an HTTP status and a message a person can act on. */
export interface ErrorDetail {
  /** Where the problem is, e.g. `articles[2].title` or `limit`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }

  /** The JSON body of SPEC §5: never the cause, never a stack. */
  toJSON(): { error: string; message: string; details?: ErrorDetail[] } {
    return this.details?.length
      ? { error: this.code, message: this.message, details: this.details }
      : { error: this.code, message: this.message };
  }
}
