/** The gRPC side of a node: the chat and agent services, their streams and the node's chat
 * gateway, and the server that listens for them (only the composition root starts it). */
export { chatServiceHandlers, MAX_STREAMS_PER_USER } from './chat-service.ts'
export type { ChatServiceDeps } from './chat-service.ts'
export { agentServiceHandlers } from './agent-service.ts'
export type { AgentServiceDeps } from './agent-service.ts'
export { chatGateway, RESUBSCRIBE_MS } from './chat-gateway.ts'
export type { GatewayMsg, RoomSink } from './chat-gateway.ts'
export { SubscribeEncoder } from './chat-wire.ts'
export { startGrpcServer, stopGrpcServer } from './grpc-server.ts'
export type { GrpcService } from './grpc-server.ts'
export { RateLimiter } from './rate-limiter.ts'
export { MAX_DETAILS, statusOf } from './grpc-status.ts'
export * from './errors.ts'
