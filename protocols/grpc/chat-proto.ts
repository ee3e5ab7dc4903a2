import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { fileURLToPath } from 'node:url'

/** Where the .proto lives, for clients in other languages and for docs. */
export const CHAT_PROTO_PATH = fileURLToPath(new URL('./chat.proto', import.meta.url))

/** Fully qualified service name, as in grpcurl and reflection. */
export const CHAT_SERVICE_NAME = 'plexi.chat.v1.Chat'

/**
 * The chat service as grpc-js sees it. Field names are camelCase in JavaScript (`lastSeq`),
 * 64-bit integers are numbers (seqs and timestamps stay far below 2^53), enums are their names.
 */
export function loadChatService (): { service: grpc.ServiceDefinition, Client: grpc.ServiceClientConstructor } {
  return loadService(CHAT_PROTO_PATH, CHAT_SERVICE_NAME)
}

/** Where the agent .proto lives. */
export const AGENT_PROTO_PATH = fileURLToPath(new URL('./agent.proto', import.meta.url))

export const AGENT_SERVICE_NAME = 'plexi.agent.v1.Agent'

/** The agent service, loaded with the same conventions as the chat service. Unset `optional`
 * fields are absent from requests (so that Configure can tell "unset" from 0 or ""). */
export function loadAgentService (): { service: grpc.ServiceDefinition, Client: grpc.ServiceClientConstructor } {
  return loadService(AGENT_PROTO_PATH, AGENT_SERVICE_NAME)
}

/**
 * Both services as a node serves them, from one package definition: the one that server
 * reflection (`@grpc/reflection`) describes to generic clients (grpcurl, Postman, evans).
 */
export function loadNodeServices (): { definition: protoLoader.PackageDefinition, chat: grpc.ServiceDefinition, agent: grpc.ServiceDefinition } {
  const definition = protoLoader.loadSync([CHAT_PROTO_PATH, AGENT_PROTO_PATH], LOADER_OPTIONS)
  return { definition, chat: serviceIn(definition, CHAT_SERVICE_NAME).service, agent: serviceIn(definition, AGENT_SERVICE_NAME).service }
}

/** camelCase fields in JavaScript, 64-bit integers as numbers, enums as names, defaults filled. */
const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true }

function loadService (path: string, name: string): { service: grpc.ServiceDefinition, Client: grpc.ServiceClientConstructor } {
  const Client = serviceIn(protoLoader.loadSync(path, LOADER_OPTIONS), name)
  return { service: Client.service, Client }
}

function serviceIn (definition: protoLoader.PackageDefinition, name: string): grpc.ServiceClientConstructor {
  let found: unknown = grpc.loadPackageDefinition(definition)
  for (const part of name.split('.')) found = (found as Record<string, unknown>)[part]
  return found as grpc.ServiceClientConstructor
}
