// S10: @fastify/rate-limit keys socket requests per client, not one shared 127.0.0.1 bucket (examples/rate-limit).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildRateLimited } from '../../examples/rate-limit/server.js'
import { connect, request, urlOf, type Teardown } from '../helpers/app.js'
import type { Socket as ClientSocket } from 'socket.io-client'

async function start (t: Teardown, options: Parameters<typeof buildRateLimited>[0]): Promise<FastifyInstance> {
  const app = await buildRateLimited(options)
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

async function statuses (socket: ClientSocket, n: number, headers?: Record<string, string>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await request(socket, 'get', '/quote', undefined, headers)).statusCode)
  return out
}

// localAddress reaches Node's websocket transport, though socket.io-client's option type omits it.
function from (address: string, extra: Record<string, unknown> = {}): Parameters<typeof connect>[2] {
  return { ...extra, localAddress: address } as Parameters<typeof connect>[2]
}

const FIVE_OK = [200, 200, 200, 200, 200]

t.test('S10: the default key is the client address: buckets are per client, X-Forwarded-For changes nothing', async (t) => {
  const app = await start(t, { max: 5 })
  // Linux routes all of 127.0.0.0/8 to loopback: two clients with two addresses.
  const one = await connect(t, app, from('127.0.0.1'))
  const two = await connect(t, app, from('127.0.0.2'))
  t.same((await request(two, 'get', '/quote')).body, { quote: 'Simplicity is prerequisite for reliability.', ip: '127.0.0.2' }, 'request.ip is the socket address')

  t.same(await statuses(one, 6), [...FIVE_OK, 429], 'client one: 5 then 429')
  const limited = await request(one, 'get', '/quote')
  t.match(limited, { statusCode: 429, body: { error: 'Too Many Requests' } })
  t.same(await statuses(one, 1, { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9', forwarded: 'for=203.0.113.9' }), [429],
    'spoofed forwarding headers per request do not change the key')
  const spoofedHandshake = await connect(t, app, from('127.0.0.1', { extraHeaders: { 'x-forwarded-for': '203.0.113.10' } }))
  t.same(await statuses(spoofedHandshake, 1), [429], 'nor in the handshake (trustProxy is off): a new socket shares its address bucket')
  const http = await fetch(`${urlOf(app)}/quote`)
  t.equal(http.status, 429, 'HTTP from the same address shares the bucket, as it should')

  t.same(await statuses(two, 4), [200, 200, 200, 200], 'client two still has its own bucket (1 + 4 requests)')
  t.same(await statuses(two, 1), [429])
})

t.test('S10: an allowList of 127.0.0.1 does not exempt sockets from other addresses', async (t) => {
  const app = await start(t, { max: 3, allowList: ['127.0.0.1'] })
  const local = await connect(t, app, from('127.0.0.1'))
  const other = await connect(t, app, from('127.0.0.3'))
  t.same(await statuses(local, 5), [200, 200, 200, 200, 200], 'the listed address is exempt')
  t.same(await statuses(other, 4), [200, 200, 200, 429], 'another address is limited')
})

t.test('S10: keyGenerator by socket id gives every socket its own bucket', async (t) => {
  const app = await start(t, { max: 3, perSocket: true })
  const a = await connect(t, app)
  const b = await connect(t, app)
  t.same(await statuses(a, 4), [200, 200, 200, 429])
  t.same(await statuses(b, 4), [200, 200, 200, 429], 'same address, own bucket')
})
