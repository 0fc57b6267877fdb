// Client channel options shared by every lbx gRPC client.
import type { ChannelOptions } from '@grpc/grpc-js';

export const CLIENT_CHANNEL_OPTIONS: ChannelOptions = {
  // lbx retries itself, excluding the failed backend; grpc-js's transparent retries would hide failures from the ledger.
  'grpc.enable_retries': 0,
  'grpc.enable_channelz': 0,
  // Reconnect fast after a backend restarts on the same port (default initial backoff is 1 s).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
};

/** The longest pause between connection attempts to the LB. */
export const LB_MAX_RECONNECT_BACKOFF_MS = 250;

/**
 * For channels to the LB, the one address every request of a send (and every backend's membership) needs. An LB that
 * restarts is up again on the same port, and must be found within a fraction of a second. With attempts up to 1 s
 * apart (±20 % jitter), they fell into step with `lbx chaos --target lb`, which kills the LB every second: an LB up
 * 0.25–0.5 s of each second was missed for 15–19 s running in a probe, and a CI run's send gave up after its 10 s
 * --lb-wait budget. At most 250 ms apart, no window of 0.25 s or more is missed. A refused connection on the same
 * machine costs microseconds, and the attempts happen only while the LB is down.
 */
export const LB_CHANNEL_OPTIONS: ChannelOptions = {
  ...CLIENT_CHANNEL_OPTIONS,
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': LB_MAX_RECONNECT_BACKOFF_MS,
};
