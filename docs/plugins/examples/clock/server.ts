/**
 * The clock plugin's process: its tools (clock-tools.ts) served over stdio. Plexi starts it as
 * `node --permission --allow-fs-read=<package> … server.ts` in its own data folder, and offers its
 * tools to agents as `clock__now` and `clock__add_days`. It needs no permission: it reads its
 * package (its manifest, for its version) and nothing else.
 */
import { readFileSync } from 'node:fs'
import { CLOCK_TOOLS } from './clock-tools.ts'
import { serve } from './mcp-stdio.ts'

const manifest = JSON.parse(readFileSync(new URL('./plexi-plugin.json', import.meta.url), 'utf8')) as { name: string, version: string }

serve({ name: manifest.name, version: manifest.version, tools: CLOCK_TOOLS })
