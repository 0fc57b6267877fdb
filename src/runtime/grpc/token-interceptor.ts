// The cluster token on a grpc-js client's calls (the servers' check is ./bearer-token.ts).
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';

import { AUTHORIZATION_METADATA_KEY, bearerValue } from './bearer-token.js';

/**
 * A client interceptor adding the token to every call. Insecure channels cannot carry call
 * credentials in grpc-js, so this goes in the client's `interceptors` option instead.
 */
export function tokenInterceptor(token: string): Interceptor {
  const value = bearerValue(token);
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        // Callers may share one Metadata object across calls (callUnary does): never add to theirs.
        const withToken = metadata.clone();
        withToken.set(AUTHORIZATION_METADATA_KEY, value);
        next(withToken, listener);
      },
    });
}
