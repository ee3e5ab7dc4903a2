#!/usr/bin/env node
// The `plexi` command. Run it through npx or npm scripts, which put the project's Node 24 first
// on PATH (the system's older node cannot run TypeScript).
import { main } from './main.ts'

// exit explicitly: a client library may keep a timer alive; stdout is synchronous on Linux, so nothing is cut
process.exit(await main(process.argv.slice(2)))
