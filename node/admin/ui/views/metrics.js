// Metrics: live charts of this node's rates (posts, deliveries, asks and their latency, tokens) and
// of every member's memory (GET /stats/stream: the recent samples, then one every interval).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { useApp } from '../lib/app-context.js'
import { useEventStream } from '../lib/use-event-stream.js'
import { formatBytes, formatNumber, shortPeer } from '../lib/format.js'
import { PeerLabel } from '../components/peer-label.js'
import { StreamStatus } from '../components/stream-status.js'
import { TimeChart } from '../components/time-chart.js'

/** Samples kept (the node keeps as many). */
const MAX_SAMPLES = 300

const rate = (v) => formatNumber(v, v < 10 ? 2 : 0)
const ms = (v) => `${formatNumber(v, v < 10 ? 2 : 0)} ms`

export function MetricsView () {
  const { api, self } = useApp()
  const [stats, setStats] = useState({ node: undefined, intervalMs: undefined, samples: [] })

  const status = useEventStream(api, '/stats/stream', (event) => {
    let data
    try {
      data = JSON.parse(event.data)
    } catch {
      return
    }
    if (event.type === 'history') setStats({ node: data.node, intervalMs: data.intervalMs, samples: (data.samples ?? []).slice(-MAX_SAMPLES) })
    else if (event.type === 'sample') {
      setStats((s) => (s.samples.length > 0 && s.samples.at(-1).ts >= data.ts) ? s : { ...s, samples: [...s.samples.slice(-(MAX_SAMPLES - 1)), data] })
    }
  })

  const samples = stats.samples
  const times = samples.map((s) => s.ts / 1000)
  const latest = samples.at(-1)
  const peers = [...new Set(samples.flatMap((s) => (s.members ?? []).map((m) => m.peerId)))].sort()
  const memory = peers.map((peer) => ({
    label: shortPeer(peer) + (peer === self ? ' (this node)' : ''),
    values: samples.map((s) => s.members?.find((m) => m.peerId === peer)?.rssBytes ?? null)
  }))

  return html`
    <${StreamStatus} status=${status} what="samples" />
    <p class="hint">Rates are of the node serving this dashboard${stats.node !== undefined ? html` (<${PeerLabel} peerId=${stats.node} self=${self} />)` : ''}, one sample every ${stats.intervalMs === undefined ? '…' : `${stats.intervalMs / 1000} s`}; memory is every member's, as it gossips it.</p>
    <section class="cards" aria-label="Latest sample" data-samples=${samples.length}>
      <div class="stat" data-metric="postsPerSec"><span class="stat-value">${latest === undefined ? '–' : rate(latest.postsPerSec)}</span><span class="stat-label">posts/s</span></div>
      <div class="stat" data-metric="deliveriesPerSec"><span class="stat-value">${latest === undefined ? '–' : rate(latest.deliveriesPerSec)}</span><span class="stat-label">deliveries/s</span></div>
      <div class="stat" data-metric="asksPerSec"><span class="stat-value">${latest === undefined ? '–' : rate(latest.asksPerSec)}</span><span class="stat-label">asks/s</span></div>
      <div class="stat" data-metric="askP99Ms"><span class="stat-value">${latest?.askP99Ms === null || latest === undefined ? '–' : ms(latest.askP99Ms)}</span><span class="stat-label">ask p99</span></div>
      <div class="stat" data-metric="tokensPerSec"><span class="stat-value">${latest === undefined ? '–' : rate(latest.tokensPerSec)}</span><span class="stat-label">tokens/s</span></div>
      <div class="stat" data-metric="rssBytes"><span class="stat-value">${latest === undefined ? '–' : formatBytes(latest.rssBytes)}</span><span class="stat-label">memory here</span></div>
      <div class="stat" data-metric="entities"><span class="stat-value">${latest === undefined ? '–' : formatNumber(latest.entities)}</span><span class="stat-label">entities here</span></div>
    </section>
    <div class="charts">
      <${TimeChart} title="Posts and deliveries per second" unit="per second" format=${rate} times=${times}
        series=${[{ label: 'posts/s', values: samples.map((s) => s.postsPerSec) }, { label: 'deliveries/s', values: samples.map((s) => s.deliveriesPerSec) }]} />
      <${TimeChart} title="Ask latency" unit="ms" format=${ms} times=${times}
        series=${[{ label: 'mean', values: samples.map((s) => s.askMeanMs) }, { label: 'p99', values: samples.map((s) => s.askP99Ms) }]} />
      <${TimeChart} title="Asks and tokens per second" unit="per second" format=${rate} times=${times}
        series=${[{ label: 'tokens/s', values: samples.map((s) => s.tokensPerSec) }, { label: 'asks/s', values: samples.map((s) => s.asksPerSec) }]} />
      <${TimeChart} title="Memory (RSS) per node" unit="bytes" format=${formatBytes} times=${times} series=${memory} />
    </div>`
}
