import { expect } from 'chai'
import { CONFIG_SCHEMA, effectiveConfig, loadConfig } from '../../config/index.ts'

describe('effectiveConfig', () => {
  it('should print effective values with their source and mask secrets', async () => {
    const loaded = await loadConfig({ flags: { 'admin-token': 'a-very-secret-admin-token' }, env: { PLEXI_LOG_LEVEL: 'warn' } })
    const rows = effectiveConfig(loaded)
    expect(rows.map((r) => r.key)).to.deep.equal(CONFIG_SCHEMA.map((s) => s.key))
    expect(rows.find((r) => r.key === 'admin-token')).to.include({ value: '********', source: 'flag', env: 'PLEXI_ADMIN_TOKEN' })
    expect(rows.find((r) => r.key === 'log-level')).to.include({ value: 'warn', source: 'env' })
    expect(rows.find((r) => r.key === 'grpc-listen')).to.include({ value: '127.0.0.1:7400', source: 'default' })
    expect(rows.find((r) => r.key === 'metrics-token')).to.include({ source: 'unset' })
    expect(JSON.stringify(rows)).not.to.include('a-very-secret')
  })

  it('should write lists and addresses as a config file would', async () => {
    const loaded = await loadConfig({ flags: { role: 'chat,ai', 'grpc-listen': '[::1]:9000' }, env: {} })
    const rows = effectiveConfig(loaded)
    expect(rows.find((r) => r.key === 'role')).to.include({ source: 'flag' })
    expect(rows.find((r) => r.key === 'role')?.value).to.deep.equal(['chat', 'ai'])
    expect(rows.find((r) => r.key === 'grpc-listen')?.value).to.equal('[::1]:9000')
    const off = effectiveConfig(await loadConfig({ flags: { 'web-listen': 'off' }, env: {} }))
    expect(off.find((r) => r.key === 'web-listen')).to.include({ value: 'off', source: 'flag' })
    expect(rows.find((r) => r.key === 'web-listen')).to.include({ value: '127.0.0.1:7404', source: 'default' })
    expect(rows.find((r) => r.key === 'data-dir')?.description).to.equal(CONFIG_SCHEMA.find((s) => s.key === 'data-dir')?.description)
  })
})
