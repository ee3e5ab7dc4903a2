import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { stringify as toYaml } from 'yaml'
import { CONFIG_SCHEMA, ConfigError, checkNodeConfig, envName, loadConfig } from '../../config/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'

const KEYS = CONFIG_SCHEMA.map((s) => s.key)

/** A value a key may be given: of its kind or not, at its bounds or past them. */
const value = (): fc.Arbitrary<unknown> => fc.oneof(
  fc.constantFrom('', 'all', 'chat,ai', 'nope', '127.0.0.1:0', '[::1]:7400', 'localhost:99999', '/ip4/127.0.0.1/tcp/0', '/ip4/x', './data',
    'info', '1e3', '0x10', '-1', 'true', 'NaN', 'x'.repeat(300)),
  fc.constantFrom(0, -1, 1, 1.5, 65536, 2 ** 53, Number.MAX_VALUE, true, false, null),
  fc.jsonValue({ maxDepth: 2 }))

/** A config file's text: a mapping near the schema's, as YAML or JSON, or text that is neither. */
function configFile (): fc.Arbitrary<{ ext: '.yaml' | '.json' | '.yml' | '.toml', text: string }> {
  const mapping = fc.dictionary(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }), value(), { maxKeys: 6 })
  return fc.oneof(
    mapping.map((m) => ({ ext: '.yaml' as const, text: toYaml(m) })),
    mapping.map((m) => ({ ext: '.json' as const, text: JSON.stringify(m) })),
    fc.record({
      ext: fc.constantFrom('.yaml' as const, '.yml' as const, '.json' as const, '.toml' as const),
      text: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('- a\n- b', '&a [*a]', 'a: &x\n  b: *x\nc: *x', '{"role": ', 'role: [all', '!!binary aGk=', 'role: !!js/function "x"', '? [a]\n: b', '\ufeffrole: all', 'null', '42', '"text"'))
    }))
}

/**
 * Config files (config/load-config.ts) and the checks across keys (check-config.ts), with the
 * environment's PLEXI_* twins: any file text, YAML or JSON near the schema's or not, and env values.
 * The config loads and checks, or ConfigError names the key: never another error.
 */
export const configFuzz: FuzzTarget = {
  name: 'config',
  about: 'config files (YAML/JSON, any text) and PLEXI_* env → a config, or ConfigError naming the key',
  defaultRuns: 2_000,
  async run (options: FuzzOptions) {
    const dir = await tempDir('plexi-fuzz-')
    // the yaml package warns (process.emitWarning) of what it ignores in odd text (an unknown tag or
    // directive): a line on a node's stderr, once per start, but thousands here
    const emitWarning = process.emitWarning
    process.emitWarning = () => undefined
    try {
      const env = fc.dictionary(fc.constantFrom(...KEYS.map(envName)), value().map((v) => typeof v === 'string' ? v : JSON.stringify(v) ?? ''), { maxKeys: 3 })
      return await fc.check(fc.asyncProperty(configFile(), env, async ({ ext, text }, vars) => {
        const file = join(dir.path, `plexi${ext}`)
        await writeFile(file, text)
        try {
          const { config } = await loadConfig({ flags: { config: file }, env: vars, cwd: dir.path })
          checkNodeConfig(config)
        } catch (err) {
          if (!(err instanceof ConfigError)) throw new Error(`not ConfigError: ${String(err)}`, { cause: err })
        }
      }), parameters(options))
    } finally {
      process.emitWarning = emitWarning
      await dir.remove()
    }
  }
}
