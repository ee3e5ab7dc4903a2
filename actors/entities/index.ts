/**
 * The entity behaviours of a Plexi node, each beside its protocol (messages, events, state, and
 * the typed key that addresses it): chat rooms, the room and user directories, users' AI agents
 * and their tool policies, the backup catalog, the audit trail, the plugin catalog and the
 * plugins' packages.
 */
export { auditLog } from './audit-log.ts'
export { AUDIT, AUDIT_FIELD_LIMITS, AUDIT_LOG_KEY, AUDIT_OUTCOMES, GENESIS, MAX_AUDIT_PAGE, auditHash, checkAuditMsg, verifyAuditChain } from './audit-log-protocol.ts'
export type { AuditEntry, AuditEvent, AuditMsg, AuditOutcome, AuditRecord, AuditState } from './audit-log-protocol.ts'
export { backupCatalog } from './backup-catalog.ts'
export { BACKUPS, BACKUP_CATALOG_KEY, BACKUP_ID_PATTERN, MAX_BACKUPS, MAX_BACKUP_NOTE, MAX_ENDED_RESTORES, MAX_LOCK_MS, RESTORE_ID_PATTERN, checkBackupCatalogMsg } from './backup-catalog-protocol.ts'
export type { BackupCatalogEvent, BackupCatalogMsg, BackupCatalogState, BackupEntry, BackupState, BackupStats, ManifestRef, RestoreEntry, RestoreSelectionRecord, RestoreState } from './backup-catalog-protocol.ts'
export { chatRoom } from './chat-room.ts'
export { AGENT_MENTION, RECENT_POSTERS, RECENT_POST_IDS_PER_USER, ROOM, agentDisplayName, checkRoomFeed, checkRoomMsg } from './chat-room-protocol.ts'
export type { AgentPartial, ChatMessage, ChatMessageKind, EraseAck, PostAck, PostReceipt, RedactAck, RetentionAck, RoomEvent, RoomFeed, RoomInfo, RoomMsg, RoomRetention, RoomState } from './chat-room-protocol.ts'
export { MAX_RETENTION_DAYS, MAX_RETENTION_POSTS } from './chat-room-protocol.ts'
export { countSeqs, hasSeq } from './seq-ranges.ts'
export { authoredBy, postedBy, scrubbed } from './room-redactions.ts'
export type { SeqRanges } from './seq-ranges.ts'
export { erasureLog } from './erasure-log.ts'
export { ERASURES, ERASURE_LOG_KEY, MAX_ERASED_USERS, MAX_REDACTION_RANGES, checkErasureLogMsg } from './erasure-log-protocol.ts'
export type { ErasedUser, ErasureLogEvent, ErasureLogMsg, ErasureLogState, ErasureLogView } from './erasure-log-protocol.ts'
export { retentionPolicy } from './retention-policy.ts'
export { MAX_RETENTION_SETTINGS, RETENTION, RETENTION_POLICY_KEY, checkRetentionPolicyMsg, isRoomRetention } from './retention-policy-protocol.ts'
export type { RetentionPolicyEvent, RetentionPolicyMsg, RetentionPolicyState, RetentionSettings, RoomRetentionSetting } from './retention-policy-protocol.ts'
export { mcpServerRegistry } from './mcp-server-registry.ts'
export { MAX_MCP_SERVERS, MCP_SERVERS, MCP_SERVER_REGISTRY_KEY, checkMcpServerRegistryMsg } from './mcp-server-registry-protocol.ts'
export type { McpServerEntry, McpServerRegistryEvent, McpServerRegistryMsg, McpServerRegistryState } from './mcp-server-registry-protocol.ts'
export { MessageCheck } from './message-check.ts'
export { pluginCatalog } from './plugin-catalog.ts'
export {
  MAX_CATALOG_MANIFEST_BYTES, MAX_MEMBER_REPORTS, MAX_PLUGINS, MAX_REPORT_ERROR, MAX_VERSIONS_PER_PLUGIN, MEMBER_PLUGIN_STATES, PACKAGE_DIGEST_PATTERN, PLUGIN_CATALOG,
  PLUGIN_CATALOG_KEY, PLUGIN_NAME_PATTERN, PLUGIN_VERSION_PATTERN, checkPluginCatalogMsg, manifestBytes
} from './plugin-catalog-protocol.ts'
export type { InstallOutcome, MemberPluginState, MemberReport, PluginCatalogEvent, PluginCatalogMsg, PluginCatalogState, PluginCatalogView, PluginEntry, PluginVersion } from './plugin-catalog-protocol.ts'
export { pluginPackage } from './plugin-package.ts'
export { MAX_PACKAGE_CHUNKS, PACKAGE_CHUNK_BYTES, PLUGIN_PACKAGE, checkPluginPackageMsg, chunkCount, chunkLength } from './plugin-package-protocol.ts'
export type { PackageInfo, PluginPackageEvent, PluginPackageMsg, PluginPackageState } from './plugin-package-protocol.ts'
export { roomDirectory } from './room-directory.ts'
export { ROOMS, ROOM_DIRECTORY_KEY, checkRoomDirectoryMsg } from './room-directory-protocol.ts'
export type { DirectoryRoom, RoomDirectoryMsg, RoomDirectoryState, RoomSummary } from './room-directory-protocol.ts'
export { userDirectory } from './user-directory.ts'
export { DIRECTORY_CHANGES_PAGE, TOKEN_HASH_PATTERN, PAGE_BUCKETS, USERS, USER_DIRECTORY_KEY, USER_PAGES, checkUserDirectoryMsg } from './user-directory-protocol.ts'
export type { DirectoryChange, DirectoryChanges, UserDirectoryMsg, UserDirectoryState, UserSummary } from './user-directory-protocol.ts'
export { userAgent } from './user-agent.ts'
export type { UserAgentOptions } from './user-agent.ts'
export type { AgentGeneration, AgentInference, AnswerDeps } from './agent-answer.ts'
export { UNANSWERED_CALL, agentPrompt, toolDefinitions } from './agent-prompt.ts'
export type { AgentMessage, AgentPrompt, AgentToolDefinition } from './agent-prompt.ts'
export * from './constants.ts'
export { toolPolicy } from './tool-policy.ts'
export { TOOL_PATTERN_RULE, TOOL_POLICY, checkToolPolicyMsg, grantCovers, isToolPattern, toolPermitted } from './tool-policy-protocol.ts'
export type { ToolPolicyEvent, ToolPolicyMsg, ToolPolicyState, ToolPolicyView } from './tool-policy-protocol.ts'
export {
  AGENT, DEFAULT_PERSONA, FORCED_TOOL_RULE, MAX_PENDING_ASKS, MAX_PERSONA_BYTES, MAX_REQUEST_ID_LENGTH, SAMPLING_RANGES, checkAgentMsg, checkAgentStreamEvent, checkSettingsChange,
  isForcedTool
} from './user-agent-protocol.ts'
export type {
  AgentAnswer, AgentErasure, AgentEvent, AgentMsg, AgentSampling, AgentSettings, AgentSettingsChange, AgentSink, AgentState, AgentStopReason,
  AgentStreamEvent, AgentToolCall, AgentToolResult, AgentTurn, GenerationOutcome
} from './user-agent-protocol.ts'
export * from './errors.ts'
export { chatRoomType } from './chat-room.ts'
export type { ChatRoomOptions } from './chat-room.ts'
export { postHooks } from './post-hooks.ts'
export type { PostHooksOptions } from './post-hooks.ts'
export type { HooksTuning } from './post-hooks-delivery.ts'
export { POST_HOOKS, checkPostHooksMsg, notedCursor } from './post-hooks-protocol.ts'
export type { HookedPost, PostHooksEvent, PostHooksMsg, PostHooksState } from './post-hooks-protocol.ts'
export { NO_ROOM_PLUGINS, botUserName } from './room-plugins.ts'
export type { BeforePostHook, PlexiMethod, PlexiRequests, RoomCommand, RoomPluginOutcome, RoomPluginView, RoomPlugins } from './room-plugins.ts'
export { parseCommand } from './room-commands.ts'
export { judge } from './post-gate.ts'
export * from './constants.ts'
export { IMPORTED_ROLES } from './user-agent-protocol.ts'
export { itemsAfter } from './transfer-protocol.ts'
export type { ExportHead, ImportOutcome, TransferPage } from './transfer-protocol.ts'
export { checkExportHead } from './transfer-protocol.ts'
export { agentRecord, roomRecord, roomRecordJson } from './transfer-records.ts'
