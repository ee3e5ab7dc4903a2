import { expect } from 'chai'
import { serviceLogOf } from '../../../node/backup/backup-log.ts'

describe('serviceLogOf', () => {
  it('should pass each level to the backup log, debug only where it has one', () => {
    const said: string[] = []
    const full = serviceLogOf({ info: (_o, m) => { said.push(`info ${m}`) }, warn: (_o, m) => { said.push(`warn ${m}`) }, debug: (_o, m) => { said.push(`debug ${m}`) } })
    full.info({}, 'a')
    full.warn({}, 'b')
    full.debug({}, 'c')
    const noDebug = serviceLogOf({ info: (_o, m) => { said.push(`info ${m}`) }, warn: (_o, m) => { said.push(`warn ${m}`) } })
    noDebug.debug({}, 'd')
    noDebug.warn({ err: new Error('x') }, 'e')
    expect(said).to.deep.equal(['info a', 'warn b', 'debug c', 'warn e'])
  })

  it('should say nothing without a log', () => {
    const none = serviceLogOf(undefined)
    expect(() => { none.info({}, 'a'); none.warn({}, 'b'); none.debug({}, 'c') }).to.not.throw()
  })
})
