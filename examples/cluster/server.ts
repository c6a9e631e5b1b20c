// Two nodes, one Redis: `npm run start:cluster` starts its own redis-server on a free port (stopped on exit),
// node A on :3001 and node B on :3002 (PORT_A / PORT_B; PORT_A=0 picks a free port), and prints both URLs.
// Open them side by side: what one page sends through its node appears on the other. REDIS_URL uses a running
// Redis instead; `NODE_NAME=a PORT=3001 REDIS_URL=... node --conditions=fastify-sockets-source --import tsx
// examples/cluster/server.ts` runs one node per process (start several, one per port, on the same REDIS_URL).
import { pathToFileURL } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import { readFile } from 'node:fs/promises'
import fastifySockets, { errorCodes } from 'fastify-sockets'
import { startRedis } from './redis-server.js'

const page = await readFile(new URL('./index.html', import.meta.url), 'utf8')

export interface NodeOptions {
  /** The node's name, shown on the page and used as its cluster nodeId. */
  name: string
  redisUrl: string
  logger?: boolean
}

export async function buildNode ({ name, redisUrl, logger = false }: NodeOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger })
  await app.register(fastifySockets, {
    cluster: { redis: { url: redisUrl }, nodeId: name },
    // the page uses socket.io's own client (/socket.io/socket.io.js), which is served only when asked for
    socketio: { serveClient: true },
    // Someone left: tell the board how many are still on it. The count is cosmetic: while the cluster cannot
    // count (Redis down, or this node closing, which disconnects every socket) it is skipped, not logged.
    onDisconnect: async () => {
      await boardSize().catch((err: unknown) => { if (!(err instanceof errorCodes.FST_SOCKETS_CLUSTER_UNAVAILABLE)) throw err })
    }
  })

  /** Pushes the number of sockets on the board, counted on every node, to the board. */
  async function boardSize (): Promise<number> {
    const members = (await app.sockets.members('board')).length
    app.sockets.broadcast('board', 'members', { members })
    return members
  }

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
    return { node: name, members: await boardSize() }
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
    // The sender gets the answer instead; an HTTP request (curl) in `except` skips nobody.
    app.sockets.broadcast('board', 'board', message, { except: request })
    return reply.code(201).send(message)
  })

  return app
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.env.HOST ?? '127.0.0.1'
  const own = process.env.REDIS_URL === undefined ? await startRedis() : undefined
  const redisUrl = own?.url ?? process.env.REDIS_URL as string
  if (own !== undefined) console.log(`redis-server (pid ${own.pid}) at ${own.url}, started for this example and stopped on exit`)
  const nodes: Array<[string, number]> = process.env.NODE_NAME === undefined
    ? [['a', Number(process.env.PORT_A ?? 3001)], ['b', Number(process.env.PORT_B ?? 3002)]]
    : [[process.env.NODE_NAME, Number(process.env.PORT ?? 3001)]]
  const apps: FastifyInstance[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(apps.map((app) => app.close()))
    own?.stop()
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void stop() })
  try {
    for (const [name, port] of nodes) {
      const app = await buildNode({ name, redisUrl, logger: process.env.LOG === '1' })
      apps.push(app)
      console.log(`node ${name}: ${await app.listen({ port, host })}`)
    }
  } catch (err) {
    await stop()
    throw err
  }
  if (apps.length > 1) console.log('Open both pages: what one sends through its node appears on the other. Ctrl-C stops it all.')
}
