import { expect } from 'chai'
import type * as grpc from '@grpc/grpc-js'
import { loadNodeServices } from '../../../../protocols/grpc/index.ts'

type Fields = ReadonlyArray<readonly [number, string, string, string?]>
type Schema = Readonly<Record<number, readonly unknown[]>>
interface Method { readonly path: string, readonly request: Fields, readonly response: Schema }
/** The page's browser modules, loaded as they are served (plain ES modules). */
const proto = await import('../../../../node/web/ui/lib/proto.js' as string) as {
  encode: (fields: Fields, value: Record<string, unknown>) => Uint8Array
  decode: (schema: Schema, bytes: Uint8Array) => Record<string, unknown>
}
const { METHODS } = await import('../../../../node/web/ui/lib/chat-messages.js' as string) as { METHODS: Record<string, Method> }
const { AGENT_METHODS } = await import('../../../../node/web/ui/lib/agent-messages.js' as string) as { AGENT_METHODS: Record<string, Method> }

type Definition = grpc.MethodDefinition<unknown, unknown>
const definitions = new Map<string, Definition>()
for (const service of Object.values(loadNodeServices())) for (const m of Object.values(service) as Definition[]) definitions.set(m.path, m)
const definition = (method: Method): Definition => definitions.get(method.path) ?? expect.fail(`no method ${method.path}`)

describe('the chat page\'s protobuf codec (node/web/ui/lib/proto.js)', () => {
  it('should encode requests that the node\'s own protobuf reads field for field, when the page sends them', () => {
    const post = { room: 'général', text: '<b>hi</b> 👋', clientId: 'a1b2' }
    expect(definition(METHODS.post!).requestDeserialize(Buffer.from(proto.encode(METHODS.post!.request, post)))).to.deep.include(post)
    const history = { room: 'r', after: 2 ** 40 + 3, limit: 100 }
    const read = definition(METHODS.history!).requestDeserialize(Buffer.from(proto.encode(METHODS.history!.request, history))) as Record<string, unknown>
    expect([read.room, Number(read.after), read.limit]).to.deep.equal(['r', 2 ** 40 + 3, 100])
    const heads = { heads: ['a', 'constructor', 'général'] }
    expect(definition(METHODS.listRooms!).requestDeserialize(Buffer.from(proto.encode(METHODS.listRooms!.request, heads)))).to.deep.include(heads)
    const listed = definition(METHODS.listRooms!).responseSerialize({ rooms: [{ name: 'a', createdAt: 1, createdBy: 'ann', lastSeq: 2 ** 40, member: true }, { name: 'b', createdAt: 2, createdBy: 'bob' }], user: 'ann' })
    expect(proto.decode(METHODS.listRooms!.response, listed)).to.deep.equal({ rooms: [{ name: 'a', createdAt: 1, createdBy: 'ann', lastSeq: 2 ** 40, member: true }, { name: 'b', createdAt: 2, createdBy: 'bob', lastSeq: 0, member: false }], user: 'ann' })
    const redact = { room: 'r', seq: 2 ** 40 + 1 }
    const redactRead = definition(METHODS.redact!).requestDeserialize(Buffer.from(proto.encode(METHODS.redact!.request, redact))) as Record<string, unknown>
    expect([redactRead.room, Number(redactRead.seq)]).to.deep.equal(['r', 2 ** 40 + 1])
    const redacted = definition(METHODS.redact!).responseSerialize({ room: 'r', seq: 4, redactionSeq: 9, ts: 5, already: false })
    expect(proto.decode(METHODS.redact!.response, redacted)).to.deep.equal({ room: 'r', seq: 4, redactionSeq: 9, ts: 5, already: false })
    expect(definition(AGENT_METHODS.ask!).requestDeserialize(Buffer.from(proto.encode(AGENT_METHODS.ask!.request, { text: 'q', user: '' })))).to.deep.include({ text: 'q' })
  })

  it('should decode what the node\'s protobuf writes, nested and repeated, skipping fields it does not name', () => {
    const event = { message: { room: 'r', seq: 7, user: 'ann', text: 'x', ts: 1_700_000_000_000, kind: 0, clientId: 'c', importedFrom: { source: 's', seq: 1, user: 'u', ts: 2, clientId: '' } } }
    const bytes = definition(METHODS.subscribe!).responseSerialize(event)
    expect(proto.decode(METHODS.subscribe!.response, bytes).message).to.deep.include({ room: 'r', seq: 7, user: 'ann', text: 'x', ts: 1_700_000_000_000, clientId: 'c', redacted: false })
    const info = definition(METHODS.join!).responseSerialize({ name: 'r', lastSeq: 150, members: ['ann', 'bob'], createdAt: 5, floor: 1 })
    expect(proto.decode(METHODS.join!.response, info)).to.deep.equal({ name: 'r', lastSeq: 150, members: ['ann', 'bob'], createdAt: 5, floor: 1 })
  })

  it('should carry Configure\'s optional fields when set, empty ones too, and doubles both ways', () => {
    const configure = definition(AGENT_METHODS.configure!)
    const read = configure.requestDeserialize(Buffer.from(proto.encode(AGENT_METHODS.configure!.request, { user: '', persona: '', temperature: 0.7, topK: 0 }))) as Record<string, unknown>
    // set: persona "" (the default persona), temperature, topK 0; not set: model, topP, maxTokens
    expect([read.persona, read.temperature, read.topK, read.model, read.topP, read.maxTokens]).to.deep.equal(['', 0.7, 0, undefined, undefined, undefined])
    const settings = configure.responseSerialize({ persona: 'p', model: 'm', sampling: { temperature: 1.25, topP: 0.9, topK: 40, maxTokens: 256 }, models: ['a', 'b'] })
    expect(proto.decode(AGENT_METHODS.getSettings!.response, settings)).to.deep.equal({ persona: 'p', model: 'm', sampling: { temperature: 1.25, topP: 0.9, topK: 40, maxTokens: 256 }, models: ['a', 'b'] })
    expect(() => proto.encode(AGENT_METHODS.configure!.request, { temperature: Number.NaN })).to.throw('a double must be a finite number, not NaN')
  })

  it('should read Search\'s hits (marks, scores) and Export\'s bytes as the node writes them, its packed repeated fields skipped', () => {
    const found = definition(METHODS.search!).responseSerialize({
      hits: [{ kind: 'room', name: 'r', seq: 3, author: 'ann', ts: 9, snippet: 'a walrus', marks: [{ start: 2, length: 6 }], score: 1.5 }],
      partial: true, missingPartitions: [1, 2], semantic: 'not-asked'
    })
    expect(proto.decode(METHODS.search!.response, found)).to.deep.equal({
      hits: [{ kind: 'room', name: 'r', seq: 3, author: 'ann', ts: 9, snippet: 'a walrus', marks: [{ start: 2, length: 6 }], score: 1.5 }], partial: true, semantic: 'not-asked'
    })
    const read = definition(METHODS.search!).requestDeserialize(Buffer.from(proto.encode(METHODS.search!.request, { query: 'walrus', limit: 50 }))) as Record<string, unknown>
    expect([read.query, read.limit]).to.deep.equal(['walrus', 50])
    const chunk = proto.decode(METHODS.export!.response, definition(METHODS.export!).responseSerialize({ data: Buffer.from('{"é":1}'), records: 4, done: 2 }))
    expect([new TextDecoder().decode(chunk.data as Uint8Array), chunk.records, chunk.done]).to.deep.equal(['{"é":1}', 4, 2])
  })

  it('should refuse a value it cannot encode and bytes that end mid-varint, with a clear error', () => {
    expect(() => proto.encode(METHODS.history!.request, { room: 'r', after: -1 })).to.throw('a varint must be a whole number from 0 to 2^53, not -1')
    expect(() => proto.decode(METHODS.join!.response, Uint8Array.from([0x10, 0x80]))).to.throw('protobuf: a varint runs past the end')
  })
})
