import { expect } from 'chai'
import { serviceLog } from '../../../node/replication/service-log.ts'

describe('serviceLog', () => {
  it('should pass each level to the part\'s log, and say nothing at a level it lacks', () => {
    const said: string[] = []
    const full = serviceLog({ info: (_o, m) => { said.push(`info ${m}`) }, warn: (_o, m) => { said.push(`warn ${m}`) }, debug: (_o, m) => { said.push(`debug ${m}`) } })
    full.info({}, 'a')
    full.warn({}, 'b')
    full.debug({}, 'c')
    expect(said).to.deep.equal(['info a', 'warn b', 'debug c'])
    said.length = 0
    const warnOnly = serviceLog({ warn: (_o, m) => { said.push(`warn ${m}`) } })
    warnOnly.info({}, 'a')
    warnOnly.warn({}, 'b')
    warnOnly.debug({}, 'c')
    expect(said).to.deep.equal(['warn b'])
  })
})
