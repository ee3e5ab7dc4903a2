// The plexi.chat.v1 messages the page uses (protocols/grpc/chat.proto): request fields to encode,
// response schemas to decode (lib/proto.js).

export const CHAT = '/plexi.chat.v1.Chat'

const chatMessage = {
  1: ['room', 'string'], 2: ['seq', 'uint64'], 3: ['user', 'string'], 4: ['text', 'string'], 5: ['ts', 'int64'],
  6: ['kind', 'enum'], 7: ['clientId', 'string'], 9: ['redacted', 'bool'], 10: ['redacts', 'uint64']
}
const roomInfo = { 1: ['name', 'string'], 2: ['lastSeq', 'uint64'], 3: ['members', 'string', true], 4: ['createdAt', 'int64'], 5: ['floor', 'uint64'] }

/** Kinds of ChatMessage. */
export const KIND = { MESSAGE: 0, JOIN: 1, LEAVE: 2, REDACTION: 3 }

/** Each method: its path, the request's fields, the response's schema. */
export const METHODS = {
  post: { path: `${CHAT}/Post`, request: [[1, 'room', 'string'], [2, 'text', 'string'], [3, 'clientId', 'string']], response: { 1: ['room', 'string'], 2: ['seq', 'uint64'], 3: ['ts', 'int64'] } },
  history: { path: `${CHAT}/History`, request: [[1, 'room', 'string'], [2, 'after', 'uint64'], [3, 'limit', 'uint32']], response: { 1: ['messages', 'message', true, chatMessage], 2: ['retainedFrom', 'uint64'] } },
  subscribe: {
    path: `${CHAT}/Subscribe`,
    request: [[1, 'room', 'string'], [2, 'after', 'uint64']],
    response: {
      1: ['message', 'message', false, chatMessage],
      2: ['live', 'message', false, { 1: ['lastSeq', 'uint64'] }],
      3: ['agentPartial', 'message', false, { 1: ['requestId', 'string'], 2: ['user', 'string'], 3: ['text', 'string'], 4: ['inReplyTo', 'uint64'] }],
      4: ['redaction', 'message', false, { 1: ['room', 'string'], 2: ['seq', 'uint64'], 3: ['redacts', 'uint64'], 4: ['by', 'string'], 5: ['ts', 'int64'] }]
    }
  },
  // the rooms, the last seq of those named in heads and whether the caller is a member; the caller's name
  listRooms: { path: `${CHAT}/ListRooms`, request: [[1, 'heads', 'string']], response: { 1: ['rooms', 'message', true, { 1: ['name', 'string'], 2: ['createdAt', 'int64'], 3: ['createdBy', 'string'], 4: ['lastSeq', 'uint64'], 5: ['member', 'bool'] }], 2: ['user', 'string'] } },
  // withdraws one's own post (or one's agent's answer): the room journals a redaction
  redact: { path: `${CHAT}/Redact`, request: [[1, 'room', 'string'], [2, 'seq', 'uint64']], response: { 1: ['room', 'string'], 2: ['seq', 'uint64'], 3: ['redactionSeq', 'uint64'], 4: ['ts', 'int64'], 5: ['already', 'bool'] } },
  join: { path: `${CHAT}/Join`, request: [[1, 'room', 'string']], response: roomInfo },
  leave: { path: `${CHAT}/Leave`, request: [[1, 'room', 'string']], response: roomInfo },
  members: { path: `${CHAT}/Members`, request: [[1, 'room', 'string']], response: { 1: ['members', 'string', true] } },
  // ranked search over every room and the caller's agent conversation (docs/search.md)
  search: {
    path: `${CHAT}/Search`,
    request: [[1, 'query', 'string'], [2, 'rooms', 'string'], [3, 'author', 'string'], [6, 'limit', 'uint32'], [7, 'mode', 'string'], [8, 'scope', 'string']],
    response: {
      1: ['hits', 'message', true, {
        1: ['kind', 'string'], 2: ['name', 'string'], 3: ['seq', 'uint64'], 4: ['author', 'string'], 5: ['ts', 'int64'], 6: ['snippet', 'string'],
        7: ['marks', 'message', true, { 1: ['start', 'uint32'], 2: ['length', 'uint32'] }], 8: ['score', 'double']
      }],
      2: ['partial', 'bool'],
      5: ['semantic', 'string']
    }
  },
  // a room's export as chunks of its text (json, ndjson or md)
  export: { path: `${CHAT}/Export`, request: [[1, 'room', 'string'], [2, 'format', 'string']], response: { 1: ['data', 'bytes'], 2: ['records', 'uint64'], 3: ['done', 'uint64'] } },
  // the members up, this node first, with their web origins: where the page goes when its node stops answering
  nodes: { path: `${CHAT}/Nodes`, request: [], response: { 1: ['nodes', 'message', true, { 1: ['web', 'string'], 2: ['grpc', 'string'], 3: ['self', 'bool'] }] } }
}
