// Live users over blueprints: `npm run start:resources` (PORT=0 picks a free port), then open the page in two
// tabs. Every change made in one tab shows up in the other. In-memory store, no database, no Redis.
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { readFile } from 'node:fs/promises'
import { Type, type Static } from '@sinclair/typebox'
import fastifySockets, { blueprints, memoryStore } from 'fastify-sockets'

const page = await readFile(new URL('./index.html', import.meta.url), 'utf8')

export const User = Type.Object({
  id: Type.Integer({ minimum: 0 }),
  name: Type.String({ minLength: 1, maxLength: 40 })
}, { additionalProperties: false })
export type User = Static<typeof User>

export async function buildResources () {
  const app = Fastify({ logger: process.env.LOG === '1' })
  // the page uses socket.io's own client (/socket.io/socket.io.js), which is served only when asked for
  await app.register(fastifySockets, { socketio: { serveClient: true } })

  app.get('/', async (_request, reply) => reply.type('text/html').send(page))

  // GET /user, GET /user/:id, POST /user, PATCH|PUT /user/:id, DELETE /user/:id, live over sockets.
  await app.register(blueprints, {
    identity: 'user',
    schema: User,
    store: memoryStore<User>({ records: [{ id: 0, name: 'Ada' }, { id: 1, name: 'Grace' }] })
  })

  // A custom route on the same resource: any socket can wave at a user; only that user's subscribers hear it.
  const users = app.sockets.resource('user', { schema: User })
  app.post<{ Params: { id: number } }>('/user/:id/wave', {
    schema: { params: Type.Object({ id: Type.Integer({ minimum: 0 }) }) }
  }, async (request) => {
    await users.publish(request.params.id, { verb: 'waved', id: request.params.id }, { except: request })
    return { waved: request.params.id }
  })

  return app
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await buildResources()
  const port = Number(process.env.PORT ?? 3000)
  const address = await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' })
  console.log(`resources example listening at ${address} (open it in two tabs)`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close() })
}
