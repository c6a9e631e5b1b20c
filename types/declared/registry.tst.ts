// The declared registry. This folder is its own program (see tsconfig.json here): declaration
// merging is global to a compilation, and types/*.tst.ts test the undeclared case.
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import type { Socket as ClientSocket } from 'socket.io-client'
import { expect } from 'tstyche'
import fastifySockets, {
  type EventName, type EventPayload, type RoomName, type SocketId, type RoomParams,
  type SocketEventMap, type SocketListenEvents, type FastifySocketsOptions
} from '../../lib/index.js'

const Hello = Type.Object({ howdy: Type.String() })
const Message = Type.Object({ room: Type.String(), text: Type.String(), at: Type.Number() })
const ChatRoom = Type.TemplateLiteral('chat:${string}')
const OrgRoom = Type.TemplateLiteral([Type.Literal('org:'), Type.Number()])
const Fun = Type.Literal('funSockets')

declare module '../../lib/index.js' {
  interface SocketEvents { hello: typeof Hello, message: typeof Message }
  interface SocketRooms { chat: `chat:${string}`, org: `org:${number}`, fun: 'funSockets' }
}

// ---- the derived types ----
expect<EventName>().type.toBe<'hello' | 'message'>()
expect<EventPayload<'hello'>>().type.toBe<{ howdy: string }>()
expect<RoomName>().type.toBe<`chat:${string}` | `org:${number}` | 'funSockets'>()
expect<SocketEventMap>().type.toBe<{ hello: { howdy: string }, message: { room: string, text: string, at: number } }>()
expect<RoomParams<`org:${number}`>>().type.toBe<[number]>()
expect<RoomParams<`chat:${string}`>>().type.toBe<[string]>()
expect<RoomParams<`org:${number}:team:${string}`>>().type.toBe<[number, string]>()
expect<RoomParams<'funSockets'>>().type.toBe<[]>()
expect<SocketId>().type.not.toBe<string>()
expect<string>().type.not.toBeAssignableTo<SocketId>()

// ---- options mirror the declarations ----
// Object literals through a call, so excess properties count as they do in `register(plugin, { ... })`.
declare function options (opts: FastifySocketsOptions): void

const app = Fastify()
const rooms = { chat: ChatRoom, org: { pattern: OrgRoom, join: async () => true }, fun: Fun }
expect(app.register).type.toBeCallableWith(fastifySockets, { events: { hello: Hello, message: Message }, rooms })
expect(options).type.toBeCallableWith({ events: { hello: Hello, message: Message }, rooms, validate: false })
// a declared event without a runtime schema
expect(options).type.not.toBeCallableWith({ events: { hello: Hello }, rooms })
// a schema that does not match its declaration
expect(options).type.not.toBeCallableWith({ events: { hello: Type.Object({ howdy: Type.Number() }), message: Message }, rooms })
// an event that is not declared
expect(options).type.not.toBeCallableWith({ events: { hello: Hello, message: Message, extra: Hello }, rooms })
// no events at all, once declared
expect(options).type.not.toBeCallableWith({ rooms })
// a room pattern wider than its declaration: `org:${string}` against `org:${number}`
expect(options).type.not.toBeCallableWith({
  events: { hello: Hello, message: Message },
  rooms: { chat: ChatRoom, org: Type.TemplateLiteral('org:${string}'), fun: Fun }
})
// a declared room without a pattern
expect(options).type.not.toBeCallableWith({ events: { hello: Hello, message: Message }, rooms: { chat: ChatRoom, fun: Fun } })
// the join guard gets the room's parameters, typed (a plain call: contextual typing of the guard)
options({
  events: { hello: Hello, message: Message },
  rooms: {
    chat: ChatRoom,
    fun: Fun,
    org: {
      pattern: OrgRoom,
      join: (request, [orgId], room) => {
        expect(orgId).type.toBe<number>()
        expect(room).type.toBe<`org:${number}`>()
        expect(request.isSocket).type.toBe<boolean>()
        return orgId === 1
      }
    }
  }
})
expect(options).type.not.toBeCallableWith({
  events: { hello: Hello, message: Message },
  rooms: { chat: ChatRoom, fun: Fun, org: { pattern: OrgRoom, join: (_request: unknown, params: [string]) => params[0] === 'x' } }
})

app.get('/x', async (request) => {
  const sockets = app.sockets
  const id = sockets.getId(request)!
  expect(id).type.toBe<SocketId>()

  // ---- broadcast ----
  expect(sockets.broadcast).type.toBeCallableWith('chat:lobby', 'hello', { howdy: 'hi' })
  expect(sockets.broadcast).type.toBeCallableWith(['org:7', 'funSockets'], 'message', { room: 'x', text: 'y', at: 1 }, { except: request })
  expect(sockets.broadcast).type.toBeCallableWith(id, 'hello', { howdy: 'hi' })
  expect(sockets.broadcast).type.not.toBeCallableWith('chat:lobby', 'hello', { howdy: 1 }) // wrong payload field type
  expect(sockets.broadcast).type.not.toBeCallableWith('chat:lobby', 'message', { room: 'x', text: 'y' }) // required field missing
  expect(sockets.broadcast).type.not.toBeCallableWith('chat:lobby', 'goodbye', { howdy: 'hi' }) // unknown event
  expect(sockets.broadcast).type.not.toBeCallableWith('lobby', 'hello', { howdy: 'hi' }) // undeclared room
  expect(sockets.broadcast).type.not.toBeCallableWith('org:abc', 'hello', { howdy: 'hi' }) // org:abc against org:${number}
  expect(sockets.broadcast).type.not.toBeCallableWith('chat:lobby', 'hello') // missing payload
  expect(sockets.broadcast).type.not.toBeCallableWith('chat:lobby', 'hello', { howdy: 'hi' }, { except: 'lobby' })

  // ---- blast ----
  expect(sockets.blast).type.toBeCallableWith('hello', { howdy: 'hi' })
  expect(sockets.blast).type.toBeCallableWith('hello', { howdy: 'hi' }, { except: ['chat:lobby', id] })
  expect(sockets.blast).type.not.toBeCallableWith('hello', { howdy: null })
  expect(sockets.blast).type.not.toBeCallableWith('goodbye', {})
  expect(sockets.blast).type.not.toBeCallableWith('hello')

  // ---- emit ----
  expect(sockets.emit).type.toBeCallableWith(id, 'message', { room: 'a', text: 'b', at: 2 })
  expect(sockets.emit).type.not.toBeCallableWith('chat:lobby', 'hello', { howdy: 'hi' }) // a room is not a socket id
  expect(sockets.emit).type.not.toBeCallableWith(id, 'message', { room: 'a', text: 'b', at: '2' })
  expect(sockets.emit).type.not.toBeCallableWith(id, 'hello')

  // ---- rooms ----
  expect(sockets.join).type.toBeCallableWith(request, 'org:42')
  expect(sockets.join).type.toBeCallableWith(request, ['chat:a', 'funSockets'])
  expect(sockets.join).type.not.toBeCallableWith(request, 'lobby')
  expect(sockets.join).type.not.toBeCallableWith(request, 'org:abc')
  expect(sockets.leave).type.not.toBeCallableWith(request, 'fun')
  expect(sockets.members).type.toBeCallableWith('chat:a')
  expect(sockets.members).type.not.toBeCallableWith('chat')
  expect(sockets.addRoomMembersToRooms).type.not.toBeCallableWith('chat:a', 'org:x')
  expect(await sockets.members('chat:a')).type.toBe<SocketId[]>()
  return null
})

// ---- the client side: socket.io-client typed by the same registry ----
declare const client: ClientSocket<SocketListenEvents>
client.on('hello', (payload) => { expect(payload).type.toBe<{ howdy: string }>() })
expect(client.on).type.not.toBeCallableWith('goodbye', () => {})
