import type { Registry } from 'prom-client'

/** A registry's exposition text, scraped once (every collect callback runs). */
export async function scrape (registry: Registry): Promise<string> {
  return await registry.metrics()
}

/** The value of one series in exposition text (`name` or `name{labels}` exactly as written), or
 * undefined when the text has no such series. */
export function seriesValue (text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** The metric families in exposition text, by name, each with its help and type. */
export function families (text: string): Map<string, { help: string, type: string }> {
  const out = new Map<string, { help: string, type: string }>()
  for (const line of text.split('\n')) {
    const help = /^# HELP (\S+) (.*)$/.exec(line)
    if (help !== null) out.set(help[1] as string, { help: help[2] as string, type: '' })
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type !== null) {
      const entry = out.get(type[1] as string)
      if (entry !== undefined) entry.type = type[2] as string
    }
  }
  return out
}
