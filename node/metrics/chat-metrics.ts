import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'

/** The chat service's counters, counted by the gRPC handlers as calls happen. */
export interface ChatMetrics {
  readonly grpcStreamsOpen: Gauge
  readonly chatMessages: Counter
  readonly chatDeliveries: Counter
}

/** Open Subscribe streams, posts acknowledged and messages written to streams (node/grpc counts
 * them through ChatServiceDeps.onPosted and .streams). */
export function chatMetrics (registry: Registry): ChatMetrics {
  const registers = [registry]
  return {
    grpcStreamsOpen: new Gauge({ name: 'plexi_grpc_streams_open', help: 'Open gRPC Subscribe streams', registers }),
    chatMessages: new Counter({ name: 'plexi_chat_messages_total', help: 'Chat messages posted and acknowledged', registers }),
    chatDeliveries: new Counter({ name: 'plexi_chat_deliveries_total', help: 'Chat messages written to Subscribe streams on this node (one per message per stream, history included)', registers })
  }
}
