/** Models as `/api/v1/models` lists, loads and unloads them. */

export const modelSchema = {
  $id: 'Model',
  type: 'object',
  required: ['name', 'sizeBytes', 'status', 'loaded'],
  properties: {
    name: { type: 'string', description: 'the file name without .gguf (or .json for a model on an OpenAI-compatible server)' },
    sizeBytes: { type: 'integer' },
    runtime: { type: 'string', enum: ['llama.cpp', 'openai-http'] },
    status: { type: 'string', enum: ['ready', 'invalid'], description: 'invalid files are never loaded' },
    error: { type: 'string', description: 'why an invalid file was refused' },
    architecture: { type: 'string' },
    quantization: { type: 'string', description: 'most common weight type: F16, TQ2_0, Q4_K, ...' },
    parameters: { type: 'integer' },
    contextLength: { type: 'integer' },
    loaded: { type: 'array', items: { type: 'string' }, description: 'peer ids of the nodes where it is loaded' },
    memoryBytes: { type: 'integer', description: 'estimated memory it holds on this node while loaded' },
    backend: { type: 'string', description: 'where it computes on this node while loaded: cpu, cuda, vulkan, or the server URL' },
    batching: { type: 'string', enum: ['on', 'off'], description: 'llama.cpp models loaded on this node: on, the requests a worker runs at once are sequences of one context, evaluated in one batch; off, a context each (inference-batching, auto resolved for the backend)' },
    active: { type: 'integer', description: 'requests running on this node' },
    queued: { type: 'integer', description: 'requests waiting for a free context on this node' },
    lastUsedAt: { type: 'integer', description: 'ms since the epoch of its last request on this node' }
  }
} as const

/** `GET /api/v1/inference`: where the node runs llama.cpp, as found at its start. */
export const inferenceBackendSchema = {
  $id: 'InferenceBackend',
  type: 'object',
  required: ['gpu', 'backend', 'devices'],
  properties: {
    gpu: { type: 'string', enum: ['auto', 'cuda', 'off'], description: 'the node\'s gpu setting' },
    backend: { type: 'string', enum: ['cuda', 'vulkan', 'cpu', 'none'], description: 'where llama.cpp computes on this node (none: no llama.cpp binary works here; models of OpenAI-compatible servers still run)' },
    devices: { type: 'array', items: { type: 'string' }, description: 'the GPUs llama.cpp found (empty on the CPU)' },
    reason: { type: 'string', description: 'why no GPU is used, where one was allowed (or `gpu off`)' }
  }
} as const

export const modelNameParam = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } as const
