import { CONFIG_SCHEMA, camel, envName } from './config-schema.ts'
import { formatHostPort } from './load-config.ts'
import type { HostPort } from './config-schema.ts'
import type { LoadedConfig, Source } from './load-config.ts'

export interface EffectiveRow {
  readonly key: string
  /** As it would be written in a config file; secrets masked; undefined when unset. */
  readonly value: string | number | boolean | string[] | undefined
  readonly source: Source | 'unset'
  readonly env: string
  readonly description: string
}

/** Every key with its effective value and where it came from (`plexi config print --effective`). */
export function effectiveConfig (loaded: LoadedConfig): EffectiveRow[] {
  return CONFIG_SCHEMA.map((spec) => {
    const raw = (loaded.config as unknown as Record<string, unknown>)[camel(spec.key)]
    let value: EffectiveRow['value']
    // a listener turned off (web-listen off) prints as it was written
    if (raw === undefined) value = spec.type.kind === 'host-port' && spec.type.off === true && loaded.sources[spec.key] !== undefined ? 'off' : undefined
    else if (spec.secret === true) value = '********'
    else if (spec.type.kind === 'host-port') value = formatHostPort(raw as HostPort)
    else if (Array.isArray(raw)) value = [...raw as string[]]
    else value = raw as string | number | boolean
    return { key: spec.key, value, source: loaded.sources[spec.key] ?? 'unset', env: envName(spec.key), description: spec.description }
  })
}
