import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseSystemPath } from '../../../protocols/p2p/index.ts'
import { NODE_PARTS, SYSTEM_ACTORS, systemActorAt } from '../../../node/root/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))

describe('system actors', () => {
  it('should give every system actor its own path, made from its name and version, its protocol file and the part that spawns it', () => {
    const paths = SYSTEM_ACTORS.map((a) => a.path)
    expect(new Set(paths).size, 'paths are unique').to.equal(paths.length)
    for (const a of SYSTEM_ACTORS) {
      expect(parseSystemPath(a.path)?.version, a.path).to.equal(a.version)
      expect(existsSync(`${root}${a.protocol}`), a.protocol).to.equal(true)
      expect(NODE_PARTS.map((p) => p.id), a.path).to.include(a.part)
    }
  })

  it('should be exactly what a node with every role runs at the top of its tree (the kernel\'s /entities aside)', async function () {
    this.timeout(60_000)
    const node = await startPartsUpTo('openai', { flags: { role: 'chat,storage,backup,ai,plugins' } })
    try {
      const top = node.c.get('system').actors().map((a) => a.path).filter((p) => p.split('/').length === 2 && p !== '/entities')
      expect(top.filter((p) => systemActorAt(p) === undefined), 'actors not in the list').to.deep.equal([])
      const running = new Set(top.map((p) => systemActorAt(p)?.path))
      expect(SYSTEM_ACTORS.filter((a) => !running.has(a.path)).map((a) => a.path), 'listed actors not running').to.deep.equal([])
      expect(top.filter((p) => p.startsWith('/shard-'))).to.have.length(node.c.get('replicas').partitions)
    } finally {
      await node.stop()
    }
  })
})
