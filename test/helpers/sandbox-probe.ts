import { spawn } from 'node:child_process'
import { readFileSync, readlinkSync } from 'node:fs'

/** How a running plugin process was started, read from /proc (Linux): its command line, its
 * environment and its folder. */
export interface ProcessSandbox {
  /** The command line, the Node.js binary first. */
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  /** Its network namespace (`net:[4026531840]`). */
  readonly netns: string
}

export function sandboxOf (pid: number): ProcessSandbox {
  const fields = (file: string): string[] => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter((s) => s !== '')
  const env: Record<string, string> = {}
  for (const entry of fields('environ')) {
    const at = entry.indexOf('=')
    env[entry.slice(0, at)] = entry.slice(at + 1)
  }
  return { argv: fields('cmdline'), env, cwd: readlinkSync(`/proc/${pid}/cwd`), netns: readlinkSync(`/proc/${pid}/ns/net`) }
}

/** Each attempt of the probe: `ok`, or the error code that refused it. */
export type ProbeResults = Record<string, string>

/**
 * Runs `attempts` (CommonJS source: `name: () => …` entries of an object literal, each an attempt
 * that throws when refused) under the same Node.js permission flags, environment and folder as the
 * plugin process `sandbox` (its entry script left out), so that a spec sees what that plugin's
 * sandbox allows and denies without a line of test code in the plugin itself.
 */
export async function probeSandbox (sandbox: ProcessSandbox, attempts: string): Promise<ProbeResults> {
  const end = sandbox.argv.indexOf('--')
  const flags = sandbox.argv.slice(1, end === -1 ? undefined : end)
  const code = `
const fs = require('node:fs'); const path = require('node:path'); const cp = require('node:child_process'); const { Worker } = require('node:worker_threads')
const attempts = {${attempts}}
const out = {}
for (const [name, attempt] of Object.entries(attempts)) {
  try { attempt(); out[name] = 'ok' } catch (err) { out[name] = err.code ?? err.message }
}
process.stdout.write(JSON.stringify(out))`
  const child = spawn(sandbox.argv[0] as string, [...flags, '-e', code], { cwd: sandbox.cwd, env: { ...sandbox.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code2 = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 15_000)
    child.on('exit', (c) => { clearTimeout(timer); resolve(c) })
  })
  if (code2 !== 0) throw new Error(`the sandbox probe exited ${String(code2)}: ${stderr}`)
  return JSON.parse(stdout) as ProbeResults
}
