/** The one response envelope, and the error clients throw when a request fails. */

/** The one error envelope: a code for programs, one sentence for people. */
export interface ApiError {
  code: string;
  message: string;
}
export type ApiResponse<T> = { ok: true; result: T } | { ok: false; error: ApiError };

/** Thrown by clients when a request fails; carries the envelope's code. */
export class ApiRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}
