#!/usr/bin/env node
// The `plexi` command. Run it through npx or npm scripts, which put the project's Node 24 first
// on PATH (the system's older node cannot run TypeScript).
import { enableCompileCache } from 'node:module'

// compiled code is kept on disk between runs (the OS temp dir; NODE_DISABLE_COMPILE_CACHE=1 turns it
// off): a command starts sooner, and a node that restarts runs its hot paths (moving entities
// back to it, first of all) without compiling them all again
enableCompileCache()
const { main } = await import('./main.ts')

// a reader that goes away (`plexi agent ask … | head`) is the end of the output, not a crash:
// exit quietly, as other Unix tools do
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
}

const code = await main(process.argv.slice(2))
// what was written must reach a pipe before the exit: writes to a pipe may still be queued (a
// `--json` listing over 64 KiB was cut at 64 KiB), and a write's callback runs once it and every
// write before it are flushed
await new Promise((resolve) => { process.stdout.write('', resolve) })
await new Promise((resolve) => { process.stderr.write('', resolve) })
// exit explicitly: a client library may keep a timer alive
process.exit(code)
