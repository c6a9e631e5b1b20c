// Two nodes, one Redis: `node --import tsx examples/cluster/server.ts` starts node A on :3001 and node B on
// :3002 (PORT_A / PORT_B; REDIS_URL, default redis://127.0.0.1:6379). Open http://127.0.0.1:3001 and
// http://127.0.0.1:3002 side by side: what one page sends through its node appears on the other.
// `NODE=a PORT=3001 node --import tsx examples/cluster/server.ts` runs a single node (one per process).
import { pathToFileURL } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import { readFile } from 'node:fs/promises'
import fastifySockets from 'fastify-sockets'

const page = await readFile(new URL('./index.html', import.meta.url), 'utf8')

export interface NodeOptions {
  /** The node's name, shown on the page and used as its cluster nodeId. */
  name: string
  redisUrl: string
  logger?: boolean
}

export async function buildNode ({ name, redisUrl, logger = false }: NodeOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger })
  await app.register(fastifySockets, { cluster: { redis: { url: redisUrl }, nodeId: name } })

  app.get('/', async (_request, reply) => reply.type('text/html').send(page.replaceAll('{{node}}', name)))

  // Readiness for a load balancer: 503 while this node cannot reach Redis (it still serves its own sockets).
  app.get('/health', async (_request, reply) => {
    const status = app.sockets.cluster?.status()
    return reply.code(status?.ready === true ? 200 : 503).send(status)
  })

  // A socket joins the board; the answer comes once every node applied the join.
  app.put('/board/members', async (request, reply) => {
    if (!request.isSocket) return reply.code(400).send({ error: 'socket only' })
    await app.sockets.join(request, 'board')
    return { node: name, members: (await app.sockets.members('board')).length }
  })

  // Post to the board from a socket or plain HTTP (curl): every member on every node hears it.
  app.post<{ Body: { text: string } }>('/board/messages', {
    schema: {
      body: {
        type: 'object',
        properties: { text: { type: 'string', minLength: 1, maxLength: 500 } },
        required: ['text'],
        additionalProperties: false
      }
    }
  }, async (request, reply) => {
    const message = { text: request.body.text, via: name, at: Date.now() }
    app.sockets.broadcast('board', 'board', message, request.isSocket ? { except: request } : undefined)
    return reply.code(201).send(message)
  })

  return app
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const host = process.env.HOST ?? '127.0.0.1'
  const nodes: Array<[string, number]> = process.env.NODE === undefined
    ? [['a', Number(process.env.PORT_A ?? 3001)], ['b', Number(process.env.PORT_B ?? 3002)]]
    : [[process.env.NODE, Number(process.env.PORT ?? 3001)]]
  const apps: FastifyInstance[] = []
  for (const [name, port] of nodes) {
    const app = await buildNode({ name, redisUrl, logger: process.env.LOG === '1' })
    const address = await app.listen({ port, host })
    console.log(`node ${name} listening at ${address} (Redis ${redisUrl})`)
    apps.push(app)
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { void Promise.all(apps.map((app) => app.close())) })
  }
}
