/** The gRPC wire for clients: the chat and agent services (`.proto` files beside), and the retry
 * information that RESOURCE_EXHAUSTED statuses carry. Loading it loads grpc-js. */
export { AGENT_PROTO_PATH, AGENT_SERVICE_NAME, CHAT_PROTO_PATH, CHAT_SERVICE_NAME, loadAgentService, loadChatService, loadNodeServices } from './chat-proto.ts'
export { STATUS_DETAILS_KEY, RETRY_AFTER_KEY, encodeRetryStatus, decodeRetryStatus, loadRetryInfoTypes } from './retry-info.ts'
export { AGENT_NODE_HEADER } from './agent-node-header.ts'
export { AGENT_ROUTES_MAX, AgentRoutes, UNFOLLOWED_MS } from './agent-routes.ts'
