import { expect } from 'chai'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import protobuf from 'protobufjs'
import { startGrpcServer, stopGrpcServer } from '../../../node/grpc/index.ts'
import { AGENT_SERVICE_NAME, CHAT_SERVICE_NAME, loadNodeServices } from '../../../protocols/grpc/index.ts'

const require = createRequire(import.meta.url)
/** The reflection protocol as any generic client speaks it (the .proto shipped with @grpc/reflection). */
const REFLECTION_PROTOS = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto', 'grpc', 'reflection')
const descriptors = protobuf.Root.fromJSON(require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace)

interface ReflectionResponse {
  listServicesResponse?: { service: Array<{ name: string }> }
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] }
  errorResponse?: { errorCode: number, errorMessage: string }
}

/** One request on a ServerReflectionInfo stream of `version` (v1 or v1alpha), and its answer. */
async function reflect (address: string, version: 'v1' | 'v1alpha', request: Record<string, string>): Promise<ReflectionResponse> {
  const definition = protoLoader.loadSync(join(REFLECTION_PROTOS, version, 'reflection.proto'), { keepCase: false, longs: Number, defaults: true, oneofs: true })
  const Reflection = (grpc.loadPackageDefinition(definition).grpc as Record<string, Record<string, Record<string, grpc.ServiceClientConstructor>>>).reflection?.[version]?.ServerReflection
  if (Reflection === undefined) throw new Error(`no ServerReflection in ${version}`)
  const client = new Reflection(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & { serverReflectionInfo: () => grpc.ClientDuplexStream<unknown, ReflectionResponse> }
  try {
    const call = client.serverReflectionInfo()
    const answer = new Promise<ReflectionResponse>((resolve, reject) => {
      call.once('data', resolve)
      call.once('error', reject)
    })
    call.write(request)
    const response = await answer
    call.end()
    return response
  } finally {
    client.close()
  }
}

describe('startGrpcServer', () => {
  let server: grpc.Server
  let address = ''

  before(async () => {
    const services = loadNodeServices()
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [
      { service: services.chat, handlers: {} },
      { service: services.agent, handlers: {} }
    ], services.definition)
    server = started.server
    address = `127.0.0.1:${started.address.port}`
  })
  after(async () => { await stopGrpcServer(server, 1_000) })

  it('should list its services to a generic client through server reflection, v1 and v1alpha', async () => {
    for (const version of ['v1', 'v1alpha'] as const) {
      const { listServicesResponse } = await reflect(address, version, { listServices: '' })
      const names = listServicesResponse?.service.map((s) => s.name) ?? []
      expect(names, version).to.include.members([CHAT_SERVICE_NAME, AGENT_SERVICE_NAME])
    }
  })

  it('should describe a service\'s methods by its file descriptor', async () => {
    const { fileDescriptorResponse } = await reflect(address, 'v1', { fileContainingSymbol: CHAT_SERVICE_NAME })
    const FileDescriptorProto = descriptors.lookupType('google.protobuf.FileDescriptorProto')
    const files = (fileDescriptorResponse?.fileDescriptorProto ?? []).map((bytes) => FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes)) as { package: string, service?: Array<{ name: string, method: Array<{ name: string }> }> })
    const chat = files.find((f) => f.package === 'plexi.chat.v1')?.service?.find((s) => s.name === 'Chat')
    expect(chat?.method.map((m) => m.name)).to.include.members(['Post', 'Subscribe', 'History', 'ListRooms', 'Join', 'Leave', 'Members'])
    const unknown = await reflect(address, 'v1', { fileContainingSymbol: 'plexi.nope.v1.Nope' })
    expect(unknown.errorResponse?.errorCode).to.equal(grpc.status.NOT_FOUND)
  })
})
