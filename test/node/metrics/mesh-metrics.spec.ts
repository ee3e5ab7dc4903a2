import { expect } from 'chai'
import { Registry } from 'prom-client'
import { meshMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

const TRAFFIC = ['plexi_mesh_writes_total', 'plexi_mesh_frames_sent_total', 'plexi_mesh_frames_received_total', 'plexi_mesh_envelopes_sent_total',
  'plexi_mesh_envelopes_received_total', 'plexi_mesh_forwarded_total', 'plexi_mesh_frames_refused_total']

describe('meshMetrics', () => {
  it('should count members by status, every status at zero too, and the transport\'s traffic and queued bytes, when it has a transport', async () => {
    const registry = new Registry()
    const stats = { writes: 1, framesSent: 2, framesReceived: 3, envelopesSent: 4, envelopesReceived: 5, forwarded: 6, framesRefused: 7 }
    let members = [{ status: 'up' }, { status: 'up' }, { status: 'suspect' }]
    meshMetrics(registry, { members: () => members, transport: { stats, queued: () => [{ bytes: 10 }, { bytes: 32 }] } })
    let text = await scrape(registry)
    expect(['joining', 'up', 'suspect', 'draining', 'down'].map((s) => seriesValue(text, `plexi_mesh_members{status="${s}"}`))).to.deep.equal([0, 2, 1, 0, 0])
    expect(TRAFFIC.map((name) => seriesValue(text, name))).to.deep.equal([1, 2, 3, 4, 5, 6, 7])
    expect(seriesValue(text, 'plexi_mesh_queued_bytes')).to.equal(42)
    members = [{ status: 'down' }]
    stats.framesSent = 12
    text = await scrape(registry)
    expect(seriesValue(text, 'plexi_mesh_members{status="up"}')).to.equal(0)
    expect(seriesValue(text, 'plexi_mesh_members{status="down"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_mesh_frames_sent_total')).to.equal(12)
  })

  it('should export the same series at zero, when the node is alone (no transport)', async () => {
    const registry = new Registry()
    meshMetrics(registry, { members: () => [], transport: undefined })
    const text = await scrape(registry)
    expect([...TRAFFIC, 'plexi_mesh_queued_bytes', 'plexi_mesh_members{status="up"}'].map((name) => seriesValue(text, name))).to.deep.equal(new Array(9).fill(0))
  })
})
