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
