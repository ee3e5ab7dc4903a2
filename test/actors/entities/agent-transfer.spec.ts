import { expect } from 'chai'
import { AGENT, ActorSystem, userAgent } from '../../../actors/index.ts'

import type { AgentEvent, AgentTurn, ImportOutcome, TransferPage } from '../../../actors/index.ts'
import { MAX_AGENT_TURNS } from '../../../protocols/index.ts'
import type { ImportItem } from '../../../protocols/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { ScriptedInference } from '../../helpers/grpc-services.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('agent-transfer', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem

  async function open (): Promise<void> {
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(userAgent({ inference: new ScriptedInference(), sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 16 }, maxTokensLimit: 64 }))
  }
  async function close (): Promise<void> {
    await system.terminate()
    await store.close()
  }
  beforeEach(async () => {
    dir = await tempDir()
    await open()
  })
  afterEach(async () => {
    await close()
    await dir.remove()
  })

  const agent = () => system.entity(AGENT, 'ann')
  const importTurns = (turns: ImportItem[], dryRun = false, user = 'ann'): Promise<ImportOutcome> =>
    agent().ask<ImportOutcome>((replyTo) => ({ type: 'import', user, source: 'c/agent/ann/e1', turns, dryRun, replyTo }))
  const page = (after: number, user = 'ann'): Promise<TransferPage<AgentEvent>> =>
    agent().ask<TransferPage<AgentEvent>>((replyTo) => ({ type: 'export-page', user, after, limit: 100, replyTo }))
  const history = (): Promise<AgentTurn[]> => agent().ask<AgentTurn[]>((replyTo) => ({ type: 'history', user: 'ann', limit: MAX_AGENT_TURNS, replyTo }))
  const turns = (from: number, to: number): ImportItem[] =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, user: (from + i) % 2 === 1 ? 'user' : 'assistant', text: `turn ${from + i}`, ts: 500 + i }))

  it('should import turns in one event past the watermark, into the conversation, and skip them the second time', async () => {
    expect(await importTurns(turns(1, 4), true)).to.deep.equal({ added: 4, skipped: 0, firstSeq: 1, lastSeq: 4, watermark: 4, head: 0 })
    expect(await history()).to.deep.equal([])
    expect(await importTurns(turns(1, 4))).to.deep.equal({ added: 4, skipped: 0, firstSeq: 1, lastSeq: 4, watermark: 4, head: 1 })
    expect(await importTurns(turns(1, 6))).to.deep.include({ added: 2, skipped: 4, watermark: 6, head: 2 })
    const kept = await history()
    expect(kept.map((t) => [t.role, t.content])).to.deep.equal([
      ['user', 'turn 1'], ['assistant', 'turn 2'], ['user', 'turn 3'], ['assistant', 'turn 4'], ['user', 'turn 5'], ['assistant', 'turn 6']])
    expect(kept[0]?.importedFrom).to.deep.equal({ source: 'c/agent/ann/e1', seq: 1, user: 'user', ts: 500 })
  })

  it('should export its journal as stored, page by page, and refuse another user', async () => {
    await importTurns(turns(1, 2))
    await agent().ask((replyTo) => ({ type: 'configure', user: 'ann', change: { persona: 'terse' }, replyTo }))
    const read = await page(0)
    expect(read.records.map((r) => r.event.type)).to.deep.equal(['turns-imported', 'agent-configured'])
    expect([read.head, read.floor]).to.deep.equal([2, 1])
    expect((await page(1)).records.map((r) => r.seq)).to.deep.equal([2])
    const err = await page(0, 'bob').then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).to.equal('PermissionDeniedError')
  })

  it('should keep its watermark across a restart', async () => {
    await importTurns(turns(1, 3))
    await close()
    await open()
    expect(await importTurns(turns(1, 3))).to.deep.include({ added: 0, skipped: 3 })
  })
})
