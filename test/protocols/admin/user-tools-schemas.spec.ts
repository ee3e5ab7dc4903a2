import { expect } from 'chai'
import { toolPatternParam, userToolsChangeSchema, userToolsSchema } from '../../../protocols/admin/index.ts'
import { MAX_TOOL_NAMES_PER_CHANGE } from '../../../protocols/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('user tools schemas', () => {
  it('should take a grant or a revoke of qualified names and sources\' *, and nothing else', () => {
    const change = validatorOf(userToolsChangeSchema)
    for (const ok of [{ grant: ['clock__now'] }, { revoke: ['clock__*'] }, { grant: ['a__b'], revoke: ['c__*'] }]) expect(change(ok).ok, JSON.stringify(ok)).to.equal(true)
    for (const bad of [{}, { grant: [] }, { grant: ['clock'] }, { grant: ['a__b', 'a__b'] }, { grant: 'a__b' }, { take: ['a__b'] },
      { grant: Array.from({ length: MAX_TOOL_NAMES_PER_CHANGE + 1 }, (_, i) => `s__t${i}`) }]) expect(change(bad).ok, JSON.stringify(bad).slice(0, 60)).to.equal(false)
    const name = validatorOf(toolPatternParam)
    expect(['clock__now', 'clock__*', 'clock__', 'Clock__now'].map((n) => name(n).ok)).to.deep.equal([true, true, false, false])
  })

  it('should describe a user\'s tool policy as the routes answer it', () => {
    const view = validatorOf(userToolsSchema)
    expect(view({ user: 'ann', granted: ['clock__*'], enabled: [], disabled: ['clock__zone'] }).ok).to.equal(true)
    expect(view({ user: 'ann', granted: ['clock__*'] }).errors).to.deep.equal(["must have required property 'enabled'", "must have required property 'disabled'"])
  })
})
