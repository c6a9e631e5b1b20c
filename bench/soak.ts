// Soak: `npm run soak` (long) or `npm run soak -- --short` (CI). Not part of `npm test`.
//
// Thousands of real socket.io clients connect, join rooms, make virtual requests, broadcast, leave, and
// churn, in cycles; every cycle ends with a full disconnect. After each cycle the plugin must hold nothing:
// no sockets, rooms, requests in flight, Engine.IO connections or timers; at the end the heap (after GC)
// must be within 10 % of where it was after the warm-up cycle. Exits non-zero on any failure.
// Options: --short, --sockets N, --cycles N, --rooms N.
import Fastify, { type FastifyInstance } from 'fastify'
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fastifySockets from '../lib/index.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function arg (name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const SHORT = process.argv.includes('--short')
const SOCKETS = arg('sockets', SHORT ? 1000 : 3000)
const CYCLES = arg('cycles', SHORT ? 3 : 10)
const ROOMS = arg('rooms', SHORT ? 50 : 200)
const BATCH = 100 // clients connected or requests sent at once
const POLLING_SHARE = 10 // one client in ten uses long polling

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function buildServer (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifySockets, { requestTimeout: 10_000 })
  app.put<{ Params: { room: string } }>('/rooms/:room/members', async (request) => {
    await app.sockets.join(request, `room:${request.params.room}`)
    return { joined: true }
  })
  app.delete<{ Params: { room: string } }>('/rooms/:room/members', async (request) => {
    await app.sockets.leave(request, `room:${request.params.room}`)
    return { left: true }
  })
  app.post<{ Params: { room: string }, Body: { text: string } }>('/rooms/:room/messages', async (request) => {
    app.sockets.broadcast(`room:${request.params.room}`, 'message', { text: request.body.text }, { except: request })
    return { sent: true }
  })
  app.get('/hello', async () => ({ hello: 'world' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

interface Client { socket: ClientSocket, rooms: number[], received: number }

async function connectOne (url: string, i: number): Promise<Client> {
  const socket = ioClient(url, { transports: [i % POLLING_SHARE === 0 ? 'polling' : 'websocket'], reconnection: false, forceNew: true })
  const client: Client = { socket, rooms: [], received: 0 }
  socket.on('message', () => { client.received++ })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  return client
}

async function inBatches<T> (items: T[], fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) await Promise.all(items.slice(i, i + BATCH).map((item, j) => fn(item, i + j)))
}

async function call (client: Client, method: string, url: string, data?: unknown): Promise<number> {
  const jwr = await client.socket.timeout(15_000).emitWithAck(method, { method, url, data, headers: {} }) as { statusCode: number }
  return jwr.statusCode
}

function timers (): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
}

interface Leftovers { connections: number, rooms: number, inFlight: number, adapterRooms: number, adapterSids: number, engineClients: number, timers: number }

function leftovers (app: FastifyInstance): Leftovers {
  const nsp = app.sockets.io.of('/')
  return {
    ...app.sockets.stats(),
    adapterRooms: nsp.adapter.rooms.size,
    adapterSids: nsp.adapter.sids.size,
    engineClients: app.sockets.io.engine.clientsCount,
    timers: timers()
  }
}

async function settle (app: FastifyInstance, baselineTimers: number): Promise<Leftovers> {
  // Disconnects propagate asynchronously (polling clients need a poll); give them a bounded moment.
  const deadline = Date.now() + 10_000
  let left = leftovers(app)
  while (Date.now() < deadline && (left.connections + left.adapterRooms + left.adapterSids + left.engineClients + left.inFlight > 0 || left.timers > baselineTimers)) {
    await delay(50)
    left = leftovers(app)
  }
  return left
}

async function cycle (app: FastifyInstance, url: string, n: number): Promise<{ requests: number, failures: number, delivered: number, expected: number }> {
  let requests = 0
  let failures = 0
  const ok = (status: number, want: number): void => { requests++; if (status !== want) failures++ }

  const clients: Client[] = []
  await inBatches(Array.from({ length: SOCKETS }, (_, i) => i), async (i) => { clients.push(await connectOne(url, i)) })

  // every socket joins three rooms
  await inBatches(clients, async (client, i) => {
    for (let k = 0; k < 3; k++) {
      const room = (i * 7 + k * 13 + n) % ROOMS
      client.rooms.push(room)
      ok(await call(client, 'put', `/rooms/${room}/members`), 200)
    }
  })
  // a plain request each
  await inBatches(clients, async (client) => { ok(await call(client, 'get', '/hello'), 200) })

  // broadcasts: one sender per room; every other member (distinct sockets) must receive it
  const members = new Map<number, Set<Client>>()
  for (const client of clients) for (const room of client.rooms) (members.get(room) ?? members.set(room, new Set()).get(room))?.add(client)
  const before = clients.reduce((sum, client) => sum + client.received, 0)
  let expected = 0
  await inBatches([...members.entries()], async ([room, set]) => {
    const sender = set.values().next().value as Client
    expected += set.size - 1
    ok(await call(sender, 'post', `/rooms/${room}/messages`, { text: `cycle ${n} room ${room}` }), 200)
  })
  const deadline = Date.now() + 10_000
  const delivered = (): number => clients.reduce((sum, client) => sum + client.received, 0) - before
  while (delivered() < expected && Date.now() < deadline) await delay(20)

  // leave one room each, and the server empties a few rooms itself
  await inBatches(clients, async (client) => { ok(await call(client, 'delete', `/rooms/${client.rooms[0]}/members`), 200) })
  for (let room = 0; room < ROOMS; room += 10) await app.sockets.leaveAll(`room:${room}`)

  // churn: a tenth of the sockets drop (half by the client, half by the server) and come back
  const churned = clients.filter((_, i) => i % 10 === n % 10)
  await inBatches(churned, async (client, i) => {
    const gone = new Promise((resolve) => client.socket.once('disconnect', resolve))
    if (i % 2 === 0) client.socket.disconnect()
    else await app.sockets.disconnect(client.socket.id as string)
    await gone
    client.socket.close()
    const back = await connectOne(url, i + 1)
    client.socket = back.socket
    client.socket.on('message', () => { client.received++ })
    ok(await call(client, 'put', `/rooms/${client.rooms[1]}/members`), 200)
  })

  // full disconnect
  await inBatches(clients, async (client) => {
    const gone = new Promise((resolve) => client.socket.once('disconnect', resolve))
    client.socket.disconnect()
    await gone
    client.socket.close()
  })
  return { requests, failures, delivered: delivered(), expected }
}

const app = await buildServer()
const { port } = app.server.address() as AddressInfo
const url = `http://127.0.0.1:${port}`
const problems: string[] = []
const idleTimers = timers()

console.log(`soak: ${SOCKETS} sockets (1 in ${POLLING_SHARE} polling), ${ROOMS} rooms, ${CYCLES} cycles after a warm-up${SHORT ? ' (short)' : ''}`)
const started = Date.now()
let heapStart = 0
for (let n = 0; n <= CYCLES; n++) {
  const t0 = Date.now()
  const result = await cycle(app, url, n)
  const left = await settle(app, idleTimers)
  gc(); gc()
  const heap = process.memoryUsage().heapUsed
  if (n === 0) heapStart = heap
  const label = n === 0 ? 'warm-up' : `cycle ${n}`
  console.log(`${label.padEnd(9)} ${String(Date.now() - t0).padStart(6)} ms  requests ${result.requests} (failed ${result.failures})  ` +
    `broadcast deliveries ${result.delivered}/${result.expected}  heap ${(heap / 1e6).toFixed(1)} MB  left ${JSON.stringify(left)}`)
  if (result.failures > 0) problems.push(`${label}: ${result.failures} requests failed`)
  if (result.delivered !== result.expected) problems.push(`${label}: ${result.delivered} of ${result.expected} broadcast deliveries`)
  if (left.connections + left.rooms + left.inFlight + left.adapterRooms + left.adapterSids + left.engineClients > 0) {
    problems.push(`${label}: left behind ${JSON.stringify(left)}`)
  }
  if (left.timers > idleTimers) problems.push(`${label}: ${left.timers - idleTimers} timers left`)
}
gc(); gc()
const heapEnd = process.memoryUsage().heapUsed
const growth = (heapEnd - heapStart) / heapStart
console.log(`heap after warm-up ${(heapStart / 1e6).toFixed(1)} MB, at the end ${(heapEnd / 1e6).toFixed(1)} MB (${(growth * 100).toFixed(1)} %); ${((Date.now() - started) / 1000).toFixed(1)} s`)
if (growth > 0.10) problems.push(`heap grew ${(growth * 100).toFixed(1)} % (limit 10 %)`)

await app.close()
if (problems.length > 0) {
  console.log(`soak: FAILED\n  ${problems.join('\n  ')}`)
  process.exitCode = 1
} else {
  console.log('soak: passed')
}
