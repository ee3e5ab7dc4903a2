import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { AGENT_PROTO_PATH, AGENT_SERVICE_NAME, CHAT_PROTO_PATH, CHAT_SERVICE_NAME, loadAgentService, loadChatService, loadNodeServices } from '../../../protocols/grpc/index.ts'

describe('chat-proto', () => {
  it('should load the chat service with its methods, and a client for it', () => {
    expect(existsSync(CHAT_PROTO_PATH)).to.equal(true)
    const { service, Client } = loadChatService()
    expect(Object.keys(service)).to.include.members(['Join', 'Post', 'History', 'Subscribe', 'Members'])
    expect(service.Subscribe?.responseStream).to.equal(true)
    expect(service.Post?.path).to.equal(`/${CHAT_SERVICE_NAME}/Post`)
    expect(Client).to.be.a('function')
  })

  it('should load the agent service with its methods', () => {
    expect(existsSync(AGENT_PROTO_PATH)).to.equal(true)
    const { service } = loadAgentService()
    expect(Object.keys(service)).to.include.members(['Ask', 'History', 'GetSettings', 'Configure', 'Reset'])
    expect(service.Ask?.path).to.equal(`/${AGENT_SERVICE_NAME}/Ask`)
    expect(service.Ask?.responseStream).to.equal(true)
  })

  it('should encode requests with camelCase fields, 64-bit integers as numbers, and enums as names', () => {
    const { chat } = loadNodeServices()
    const history = chat.History
    if (history === undefined) throw new Error('no History method')
    const bytes = history.requestSerialize({ room: 'general', after: 12, limit: 5 })
    expect(history.requestDeserialize(bytes)).to.deep.include({ room: 'general', after: 12, limit: 5 })
    const reply = history.responseDeserialize(history.responseSerialize({ messages: [{ seq: 1, user: 'ann', text: 'hi', ts: 1_700_000_000_000, kind: 'JOIN' }] })) as { messages: Array<{ ts: unknown, kind: unknown }> }
    expect(reply.messages[0]?.ts).to.equal(1_700_000_000_000)
    expect(reply.messages[0]?.kind).to.equal('JOIN')
  })
})
