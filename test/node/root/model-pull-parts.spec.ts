import { expect } from 'chai'
import { MODEL_COPY_PATH, ModelPulls } from '../../../node/model-pull/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('model pull part', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should give the pulls and run the model receiver on an ai member', async function () {
    this.timeout(60_000)
    node = await startPartsUpTo('model-pull', { flags: { role: 'ai,chat,storage', 'model-hub': 'http://127.0.0.1:9/mirror' } })
    expect(node.c.get('modelPulls')).to.be.instanceOf(ModelPulls)
    expect(node.c.get('system').actors().map((a) => a.path)).to.include(MODEL_COPY_PATH)
  })

  it('should give none and run no receiver on a member without the ai role', async function () {
    this.timeout(60_000)
    node = await startPartsUpTo('model-pull', { flags: { role: 'chat,storage' } })
    expect(node.c.get('modelPulls')).to.equal(undefined)
    expect(node.c.get('system').actors().map((a) => a.path)).to.not.include(MODEL_COPY_PATH)
  })
})
