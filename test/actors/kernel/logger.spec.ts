import { expect } from 'chai'
import { ActorSystem, silentLogger } from '../../../actors/index.ts'
import type { Logger } from '../../../actors/index.ts'
import { counter } from '../../helpers/counter-behavior.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('Logger', () => {
  it('should be silent and frozen by default', () => {
    expect(Object.isFrozen(silentLogger)).to.equal(true)
    for (const level of ['debug', 'info', 'warn', 'error'] as const) expect(silentLogger[level]({}, 'nothing')).to.equal(undefined)
  })

  it('should hear the kernel through the logger handed to the system: a failure, with its error and path', async () => {
    const lines: Array<{ level: string, obj: object, msg: string }> = []
    const at = (level: string) => (obj: object, msg?: string): void => { lines.push({ level, obj, msg: msg ?? '' }) }
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
    const system = new ActorSystem({ logger })
    try {
      const ref = system.spawn(counter, { name: 'loud' })
      await ref.ask<number>((replyTo) => ({ type: 'fail', replyTo })).catch(() => undefined)
      await waitFor(() => lines.some((l) => l.level === 'warn'), 'the failure to be logged')
      const warn = lines.find((l) => l.level === 'warn')
      expect(warn?.msg).to.equal('actor /loud failed: RangeError: asked to fail')
      expect(warn?.obj).to.include({ actor: '/loud' }).and.to.have.property('err')
    } finally {
      await system.terminate()
    }
  })
})
