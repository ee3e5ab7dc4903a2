// The plexi.agent.v1 messages the page uses (protocols/grpc/agent.proto), as lib/chat-messages.js.

export const AGENT = '/plexi.agent.v1.Agent'

export const AGENT_METHODS = {
  ask: {
    path: `${AGENT}/Ask`,
    request: [[1, 'text', 'string'], [2, 'user', 'string']],
    response: {
      1: ['started', 'message', false, { 1: ['requestId', 'string'] }],
      2: ['queued', 'message', false, { 1: ['position', 'uint32'] }],
      3: ['token', 'message', false, { 1: ['text', 'string'] }],
      4: ['done', 'message', false, { 1: ['requestId', 'string'], 2: ['model', 'string'], 3: ['stopReason', 'string'] }],
      5: ['toolCall', 'message', false, { 1: ['id', 'string'], 2: ['name', 'string'] }],
      6: ['toolResult', 'message', false, { 1: ['id', 'string'], 2: ['name', 'string'], 3: ['isError', 'bool'] }]
    }
  },
  history: {
    path: `${AGENT}/History`,
    request: [[1, 'user', 'string'], [2, 'limit', 'uint32']],
    response: { 1: ['turns', 'message', true, { 1: ['requestId', 'string'], 2: ['role', 'string'], 3: ['content', 'string'], 4: ['ts', 'int64'], 5: ['stopReason', 'string'], 6: ['model', 'string'] }] }
  }
}
