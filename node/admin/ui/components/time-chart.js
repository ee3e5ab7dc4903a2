// A live uPlot chart of time series. `series`: [{ label, values }], one value per time in `times`
// (seconds); a change of series names or count makes a new chart, new values only new data.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import { html } from '../lib/html.js'

/** Series colours, told apart also by their legend names and dash patterns. */
const COLOURS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4b5563']
const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3]]
const HEIGHT = 200

export function TimeChart ({ title, times, series, unit, format }) {
  const box = useRef(null)
  const plot = useRef(null)
  const shape = series.map((s) => s.label).join('\u0000')
  const data = [times, ...series.map((s) => s.values)]

  useEffect(() => {
    const el = box.current
    if (el === null) return undefined
    const valueText = (u, v) => v === null || v === undefined ? '–' : format(v)
    // the canvas takes the page's colours (light or dark) from its CSS
    const css = getComputedStyle(el)
    const text = css.getPropertyValue('--text').trim() || '#1f2933'
    const line = css.getPropertyValue('--line').trim() || '#d9dee4'
    const axis = { stroke: text, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } }
    const chart = new uPlot({
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        axis,
        { ...axis, size: 70, values: (u, ticks) => ticks.map((t) => format(t)), label: unit }
      ],
      series: [
        { label: 'time' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i % COLOURS.length],
          width: 2,
          dash: DASHES[i % DASHES.length],
          spanGaps: false,
          value: valueText
        }))
      ]
    }, data, el)
    plot.current = chart
    const resize = new ResizeObserver(() => { chart.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }) })
    resize.observe(el)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = null
    }
  }, [shape, unit])

  useEffect(() => {
    const chart = plot.current
    if (chart === null) return
    chart.setData(data)
    // while the pointer is not over the chart, its legend reads the newest values
    if (chart.cursor.left === undefined || chart.cursor.left < 0) chart.setLegend({ idx: times.length - 1 })
  })

  const latest = series.map((s) => `${s.label} ${s.values.length > 0 ? format(s.values.at(-1)) : 'none yet'}`).join(', ')
  return html`
    <figure class="chart" data-chart=${title}>
      <figcaption><h3>${title}</h3></figcaption>
      <div ref=${box} class="chart-plot" role="img" aria-label=${`${title}, latest: ${latest}`}></div>
    </figure>`
}
