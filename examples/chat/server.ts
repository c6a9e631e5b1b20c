// A small room chat: `npm start` (PORT=0 picks a free port). Runs on the in-memory default, no Redis.
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { readFile } from 'node:fs/promises'
import fastifySockets from 'fastify-sockets'
import { events, rooms } from './registry.js'

const page = await readFile(new URL('./index.html', import.meta.url), 'utf8')

export async function buildChat () {
  const app = Fastify({ logger: process.env.LOG === '1' })
  // Typed events and rooms: payloads validated against registry.ts, types from sockets.d.ts.
  await app.register(fastifySockets, { events, rooms })

  app.get('/', async (_request, reply) => reply.type('text/html').send(page))

  const Room = { type: 'string', pattern: '^[a-z0-9-]{1,32}$' }

  // Join a room: socket only (an HTTP client has no socket to put in a room).
  app.put<{ Params: { room: string } }>('/rooms/:room/members', {
    schema: { params: { type: 'object', properties: { room: Room }, required: ['room'] } }
  }, async (request, reply) => {
    if (!request.isSocket) return reply.code(400).send({ error: 'socket only' })
    await app.sockets.join(request, `chat:${request.params.room}`)
    return { joined: request.params.room, members: (await app.sockets.members(`chat:${request.params.room}`)).length }
  })

  app.delete<{ Params: { room: string } }>('/rooms/:room/members', {
    schema: { params: { type: 'object', properties: { room: Room }, required: ['room'] } }
  }, async (request, reply) => {
    if (!request.isSocket) return reply.code(400).send({ error: 'socket only' })
    await app.sockets.leave(request, `chat:${request.params.room}`)
    return { left: request.params.room }
  })

  // Say something in a room: everyone in it hears it, the sender gets the ack instead.
  app.post<{ Params: { room: string }, Body: { from: string, text: string } }>('/rooms/:room/messages', {
    schema: {
      params: { type: 'object', properties: { room: Room }, required: ['room'] },
      body: {
        type: 'object',
        properties: { from: { type: 'string', minLength: 1, maxLength: 32 }, text: { type: 'string', minLength: 1, maxLength: 500 } },
        required: ['from', 'text'],
        additionalProperties: false
      }
    }
  }, async (request, reply) => {
    const message = { room: request.params.room, from: request.body.from, text: request.body.text, at: Date.now() }
    app.sockets.broadcast(`chat:${request.params.room}`, 'message', message, { except: request })
    return reply.code(201).send(message)
  })

  return app
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await buildChat()
  const port = Number(process.env.PORT ?? 3000)
  const address = await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' })
  console.log(`chat example listening at ${address}`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close() })
}
