import { expect } from 'tstyche'
import { connect, ClientSocket, type JWR, type ServerEvents, type RequestCallback } from '../lib/client/index.js'
import type { EventName, EventPayload } from '../lib/rooms/declarations.js'

// The default event map is the server's registry (SocketEvents), whatever it declares.
expect<ServerEvents>().type.toBe<{ [E in EventName]: EventPayload<E> }>()
expect(connect('http://127.0.0.1:3000')).type.toBe<ClientSocket<ServerEvents>>()

// A front end that cannot see the server's declarations passes its own map.
interface Events { hello: { howdy: string }, count: number }
const socket = connect<Events>('http://127.0.0.1:3000', { headers: { authorization: 'Bearer x' } })

socket.on('hello', (data) => { expect(data).type.toBe<{ howdy: string }>() })
socket.on('count', (n) => { expect(n).type.toBe<number>() })
expect(socket.on).type.not.toBeCallableWith('nope', () => {})
expect(socket.on).type.not.toBeCallableWith('hello', (data: { howdy: number }) => data)
expect(socket.off).type.not.toBeCallableWith('nope', () => {})
expect(socket.on('hello', () => {})).type.toBe<ClientSocket<Events>>()

// Lifecycle events are always there.
socket.on('connect', () => {})
socket.on('disconnect', (reason) => { expect(reason).type.toBe<string>() })
socket.on('reconnect', (attempt) => { expect(attempt).type.toBe<number>() })
socket.on('connect_error', (err) => { expect(err).type.toBe<Error>() })

// Requests: a Promise of the JWR, or the sails.io.js callback form (no Promise then).
expect(socket.get('/user')).type.toBe<Promise<JWR<unknown>>>()
expect(socket.get<{ id: number }>('/user/1')).type.toBe<Promise<JWR<{ id: number }>>>()
expect(socket.post('/user', { name: 'rex' })).type.toBe<Promise<JWR<unknown>>>()
expect(socket.request({ method: 'patch', url: '/user/1', data: {}, headers: { 'x-a': '1' } })).type.toBe<Promise<JWR<unknown>>>()
expect(socket.put('/rooms/lobby/members', {}, (body, jwr) => {
  expect(jwr.statusCode).type.toBe<number>()
})).type.toBe<void>()
expect(socket.delete('/user/1', (body) => body)).type.toBe<void>()
expect<RequestCallback<{ id: number }>>().type.toBeAssignableTo<(body: any, jwr: JWR<any>) => void>()
expect(socket.get).type.not.toBeCallableWith(42)
expect(socket.request).type.not.toBeCallableWith({ method: 'get' })
expect(socket.request).type.not.toBeCallableWith({ url: '/x', headers: { a: 1 } })

// Options are checked.
expect(connect).type.not.toBeCallableWith('http://x', { reconnection: 'yes' })
expect(connect).type.not.toBeCallableWith('http://x', { headers: { a: 1 } })
expect(socket.isConnected()).type.toBe<boolean>()
expect(socket.recovered).type.toBe<boolean>()
