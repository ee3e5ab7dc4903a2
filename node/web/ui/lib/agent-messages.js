// The plexi.agent.v1 messages the page uses (protocols/grpc/agent.proto), as lib/chat-messages.js.

export const AGENT = '/plexi.agent.v1.Agent'

const settings = {
  1: ['persona', 'string'], 2: ['model', 'string'],
  3: ['sampling', 'message', false, { 1: ['temperature', 'double'], 2: ['topP', 'double'], 3: ['topK', 'uint32'], 4: ['maxTokens', 'uint32'] }],
  4: ['models', 'string', true]
}

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
  // the settings, and the models the agent's node can run (what the pane offers to choose)
  getSettings: { path: `${AGENT}/GetSettings`, request: [[1, 'user', 'string']], response: settings },
  // only the fields given change (proto3 optional: persona "" is the default persona, model "" the node's default model)
  configure: {
    path: `${AGENT}/Configure`,
    request: [[1, 'user', 'string'], [2, 'persona', 'string', 'optional'], [3, 'model', 'string', 'optional'], [4, 'temperature', 'double', 'optional'],
      [5, 'topP', 'double', 'optional'], [6, 'topK', 'uint32', 'optional'], [7, 'maxTokens', 'uint32', 'optional']],
    response: settings
  },
  reset: { path: `${AGENT}/Reset`, request: [[1, 'user', 'string']], response: { 1: ['turnsRemoved', 'uint32'] } },
  history: {
    path: `${AGENT}/History`,
    request: [[1, 'user', 'string'], [2, 'limit', 'uint32']],
    response: { 1: ['turns', 'message', true, { 1: ['requestId', 'string'], 2: ['role', 'string'], 3: ['content', 'string'], 4: ['ts', 'int64'], 5: ['stopReason', 'string'], 6: ['model', 'string'] }] }
  }
}
