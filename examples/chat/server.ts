// A room chat: `npm start` (PORT=0 picks a free port), then open it in two windows. Runs on the in-memory
// default, no Redis. Rooms are joined and switched by clicking; each room shows who is in it, live.
import { pathToFileURL } from 'node:url'
import { readFile } from 'node:fs/promises'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import fastifySockets from 'fastify-sockets'
import { events, rooms } from './registry.js'

const page = await readFile(new URL('./index.html', import.meta.url), 'utf8')

const Room = { type: 'string', pattern: '^[a-z0-9-]{1,32}$' }
const RoomParams = { type: 'object', properties: { room: Room }, required: ['room'] }
const Name = { type: 'string', minLength: 1, maxLength: 32, pattern: '\\S' }

interface Person { name: string, rooms: Set<string> }

export async function buildChat () {
  const app = Fastify({ logger: process.env.LOG === '1' })

  // Who is who, by socket id. Kept in this process: with the `cluster` option, keep it where every node
  // sees it (Redis, your database); `app.sockets.members()` is already cluster-wide.
  const people = new Map<string, Person>()

  // Typed events and rooms: payloads validated against registry.ts, types from sockets.d.ts.
  await app.register(fastifySockets, {
    events,
    rooms,
    // The socket has left its rooms by now: tell each of them who is still there.
    onDisconnect: async (socket) => {
      const person = people.get(socket.id)
      people.delete(socket.id)
      await Promise.all([...person?.rooms ?? []].map(presence))
    }
  })

  function personOf (request: FastifyRequest): Person {
    const id = app.sockets.getId(request) as string
    let person = people.get(id)
    if (person === undefined) {
      person = { name: `guest-${id.slice(0, 4)}`, rooms: new Set() }
      // a request still running when its socket disconnected must not bring the forgotten socket back
      if (!request.signal.aborted) people.set(id, person)
    }
    return person
  }

  /** Pushes who is in `room` to everyone in it, and returns the names. */
  async function presence (room: string): Promise<string[]> {
    const ids = await app.sockets.members(`chat:${room}`)
    const members = ids.map((id) => people.get(id)?.name).filter((name) => name !== undefined).sort()
    app.sockets.broadcast(`chat:${room}`, 'presence', { room, members })
    return members
  }

  // An HTTP client has no socket to put in a room, nor a name in the chat.
  async function socketOnly (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!request.isSocket) await reply.code(400).send({ error: 'socket only' })
  }

  app.get('/', async (_request, reply) => reply.type('text/html').send(page))

  app.put<{ Body: { name: string } }>('/me', {
    preHandler: socketOnly,
    schema: { body: { type: 'object', properties: { name: Name }, required: ['name'], additionalProperties: false } }
  }, async (request) => {
    const person = personOf(request)
    person.name = request.body.name.trim()
    await Promise.all([...person.rooms].map(presence))
    return { name: person.name }
  })

  app.put<{ Params: { room: string } }>('/rooms/:room/members', { preHandler: socketOnly, schema: { params: RoomParams } }, async (request) => {
    const { room } = request.params
    await app.sockets.join(request, `chat:${room}`)
    personOf(request).rooms.add(room)
    return { joined: room, members: await presence(room) }
  })

  app.delete<{ Params: { room: string } }>('/rooms/:room/members', { preHandler: socketOnly, schema: { params: RoomParams } }, async (request) => {
    const { room } = request.params
    await app.sockets.leave(request, `chat:${room}`)
    personOf(request).rooms.delete(room)
    await presence(room)
    return { left: room }
  })

  // Say something in a room: everyone else in it hears it, the sender gets the answer instead.
  app.post<{ Params: { room: string }, Body: { text: string } }>('/rooms/:room/messages', {
    preHandler: socketOnly,
    schema: {
      params: RoomParams,
      body: { type: 'object', properties: { text: { type: 'string', minLength: 1, maxLength: 500 } }, required: ['text'], additionalProperties: false }
    }
  }, async (request, reply) => {
    const { room } = request.params
    const person = personOf(request)
    if (!person.rooms.has(room)) return reply.code(403).send({ error: `join #${room} first` })
    const message = { room, from: person.name, text: request.body.text, at: Date.now() }
    app.sockets.broadcast(`chat:${room}`, 'message', message, { except: request })
    return reply.code(201).send(message)
  })

  return app
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await buildChat()
  const port = Number(process.env.PORT ?? 3000)
  const address = await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' })
  console.log(`chat example listening at ${address} (open it in two windows)`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close() })
}
