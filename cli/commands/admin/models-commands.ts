import type { Command } from 'commander'
import { printJson, printTable } from '../../cli-io.ts'
import type { CliIo } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import type { AdminContext } from './admin-context.ts'
import { mib } from './mib.ts'

/** A model as GET /api/v1/models shows it. */
interface ModelInfo {
  name: string
  sizeBytes: number
  runtime?: string
  status: string
  error?: string
  architecture?: string
  quantization?: string
  parameters?: number
  contextLength?: number
  loaded: string[]
  memoryBytes?: number
  backend?: string
}

/** `plexi admin models ls|load|unload`: the node's models (/api/v1/models). */
export function modelsCommands (admin: Command, cx: AdminContext): void {
  const models = admin.command('models').description('models in the node\'s models dir')
  withClientOptions(models.command('ls', { isDefault: true }), 'admin')
    .description('list models: name, architecture, size, quantization, parameters, where loaded; invalid files with the reason')
    .action(withFlags(async (flags: ClientFlags) => {
      const { api } = await cx.client(flags)
      const list = await api.request<ModelInfo[]>('GET', '/api/v1/models')
      if (flags.json === true) {
        printJson(cx.io, list)
        return
      }
      printModels(cx.io, list)
      // where this node computes (a node without the ai role has no backend: 404)
      const backend = await api.request<BackendInfo>('GET', '/api/v1/inference').catch(() => undefined)
      if (backend !== undefined) cx.io.stdout.write(`inference backend on this node: ${backendLine(backend)}\n`)
    }))
  withClientOptions(models.command('backend'), 'admin')
    .description('where this node runs llama.cpp: cuda or vulkan with its GPUs, or cpu with why no GPU (--json: {gpu, backend, devices, reason})')
    .action(withFlags(async (flags: ClientFlags) => {
      const backend = await (await cx.client(flags)).api.request<BackendInfo>('GET', '/api/v1/inference')
      if (flags.json === true) printJson(cx.io, backend)
      else cx.io.stdout.write(`${backendLine(backend)} (gpu ${backend.gpu})\n`)
    }))
  for (const [verb, what] of [['load', 'load a model now (unloading least recently used idle ones if memory needs it)'], ['unload', 'unload a model (requests on it fail)']] as const) {
    withClientOptions(models.command(`${verb} <name>`), 'admin')
      .description(what)
      .action(withFlags(async (name: string, flags: ClientFlags) => {
        const model = await (await cx.client(flags)).api.request<ModelInfo>('POST', `/api/v1/models/${encodeURIComponent(name)}/${verb}`)
        if (flags.json === true) printJson(cx.io, model)
        else printModels(cx.io, [model])
      }))
  }
}

interface BackendInfo { gpu: string, backend: string, devices: string[], reason?: string }

/** `cuda (NVIDIA H100 80GB HBM3)`, `cpu (no CUDA driver found …)`. */
function backendLine (b: BackendInfo): string {
  if (b.devices.length > 0) return `${b.backend} (${b.devices.join(', ')})`
  return b.reason === undefined ? b.backend : `${b.backend} (${b.reason})`
}

function printModels (io: CliIo, list: ModelInfo[]): void {
  printTable(io, ['NAME', 'ARCH', 'QUANT', 'PARAMS', 'SIZE', 'CONTEXT', 'STATUS', 'LOADED ON', 'MEMORY', 'BACKEND'], list.map((m) => [
    m.name, m.architecture ?? (m.runtime === 'openai-http' ? 'remote' : '-'), m.quantization ?? '-', m.parameters === undefined ? '-' : `${(m.parameters / 1e6).toFixed(1)}M`,
    mib(m.sizeBytes), m.contextLength === undefined ? '-' : String(m.contextLength),
    m.status === 'ready' ? 'ready' : `invalid: ${m.error ?? ''}`, m.loaded.length === 0 ? '-' : m.loaded.join(','),
    m.memoryBytes === undefined ? '-' : mib(m.memoryBytes), m.backend ?? '-'
  ]))
}
