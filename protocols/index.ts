export { USER_NAME_PATTERN, USER_NAME_RULE, ROOM_NAME_PATTERN, ROOM_NAME_RULE, isUserName, isRoomName } from './names.ts'
export { AGENT_PROTO_PATH, AGENT_SERVICE_NAME, CHAT_PROTO_PATH, CHAT_SERVICE_NAME, loadAgentService, loadChatService } from './grpc/chat-proto.ts'
export { STATUS_DETAILS_KEY, RETRY_AFTER_KEY, encodeRetryStatus, decodeRetryStatus, loadRetryInfoTypes } from './grpc/retry-info.ts'
export * as adminSchemas from './admin/admin-schemas.ts'
