// An error the HTTP layer turns into a plain-text reply with its status, as Consul answers errors.

export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** 400 with Consul's prefix for a body that could not be decoded into a definition. */
export const decodeFailed = (detail: string): HttpError => new HttpError(400, `Request decode failed: ${detail}`);
