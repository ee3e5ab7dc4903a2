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
  batching?: string
}

/** `plexi admin models ls|backend|pull|load|unload`: the node's models (/api/v1/models). */
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
  withClientOptions(models.command('pull <source>'), 'admin')
    .description('download a model (https://…/FILE.gguf, or hf:OWNER/REPO/FILE.gguf[#REVISION]) with progress, resuming where a pull of it broke off; check its SHA-256 and validate it; copy it to every other ai member over the mesh. A model that is here already is only copied (pull again to copy it to members that joined since)')
    .option('--name <name>', 'the model\'s name (default: the file\'s name without .gguf)')
    .option('--sha256 <hex>', 'the SHA-256 the file must have (besides the one the server publishes, which is always checked)')
    .option('--replace', 'download again and replace a model of that name, here and on the members it is copied to')
    .option('--no-wait', 'start the pull job and return its id')
    .addHelpText('after', '\nExamples:\n  plexi admin models pull hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf\n  plexi admin models pull https://example.com/models/my-model.gguf --name my-model --sha256 <hex>\nThe node downloads (not this command): the URL must be reachable from the node. Ctrl-C stops following, not the pull: plexi admin jobs ID --cancel stops it, and pulling again resumes it.')
    .action(withFlags(async (source: string, flags: ClientFlags & { name?: string, sha256?: string, replace?: boolean, wait?: boolean }) => {
      await cx.startJob(flags, '/api/v1/models/pull', {
        source, ...(flags.name !== undefined && { name: flags.name }), ...(flags.sha256 !== undefined && { sha256: flags.sha256 }), ...(flags.replace === true && { replace: true })
      })
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
  printTable(io, ['NAME', 'ARCH', 'QUANT', 'PARAMS', 'SIZE', 'CONTEXT', 'STATUS', 'LOADED ON', 'MEMORY', 'BACKEND', 'BATCHING'], list.map((m) => [
    m.name, m.architecture ?? (m.runtime === 'openai-http' ? 'remote' : '-'), m.quantization ?? '-', m.parameters === undefined ? '-' : `${(m.parameters / 1e6).toFixed(1)}M`,
    mib(m.sizeBytes), m.contextLength === undefined ? '-' : String(m.contextLength),
    m.status === 'ready' ? 'ready' : `invalid: ${m.error ?? ''}`, m.loaded.length === 0 ? '-' : m.loaded.join(','),
    m.memoryBytes === undefined ? '-' : mib(m.memoryBytes), m.backend ?? '-', m.batching ?? '-'
  ]))
}
