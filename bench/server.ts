import { createServer } from 'node:http'
import { writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Session } from 'node:inspector/promises'
import { PerformanceObserver, constants as perf } from 'node:perf_hooks'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { Server, type ServerOptions } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import fastifySockets from '../lib/index.js'
import { serve } from './rpc.js'
import { freePort } from './redis.js'
import { liftSails } from './sails.js'
import { ROOM, EVENT, POST_BODY_SCHEMA, POST_REPLY_SCHEMA, now, Tick } from './shapes.js'

// One bench server in its own process: `raw` (socket.io 4 acking constants: the ceiling), `control` (the same
// raw server again, in a process of its own: how far two runs of identical code land apart here), `naive`
// (Fastify + socket.io calling fastify.inject with its defaults per packet), `sockets` (this plugin) or
// `sails` (Sails 1.5 with sails-hook-sockets, from bench/.sails: see sails.ts).
// The driver reads this process's own CPU time over IPC before and after each workload.

// streams: fastify-sockets on the Redis Streams adapter with recovery on (the zero-loss configuration)
// inject: fastify-sockets with `dispatch: 'inject'` (virtual requests through light-my-request)
export type Kind = 'raw' | 'control' | 'naive' | 'sockets' | 'streams' | 'inject' | 'sails'
export interface ServerHello { port: number, pid: number, typedEvents: boolean }

const kind = process.argv[2] as Kind
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const redisUrl = arg('redis')
if (!['raw', 'control', 'naive', 'sockets', 'streams', 'inject', 'sails'].includes(kind)) throw new Error(`unknown server kind '${String(kind)}'`)

// fastify-sockets broadcasts a typed event, validated once per broadcast (the plugin's default).
const typedEvents = { events: { [EVENT]: Tick } }

const socketio: Partial<ServerOptions> = { allowEIO3: true } // the plugin's default, given to every kind
const closers: Array<() => Promise<unknown>> = []

// raw and naive get the Redis adapter through socket.io; fastify-sockets through its own `cluster` option
const plugin = kind === 'sockets' || kind === 'streams' || kind === 'inject'
if (redisUrl !== undefined && !plugin) {
  const pub = createClient({ url: redisUrl })
  const sub = pub.duplicate()
  pub.on('error', (err) => { console.error(`bench server: redis: ${String(err)}`) })
  sub.on('error', (err) => { console.error(`bench server: redis: ${String(err)}`) })
  await Promise.all([pub.connect(), sub.connect()])
  socketio.adapter = createAdapter(pub, sub, { key: arg('key') ?? 'bench' })
  closers.push(() => Promise.all([pub.quit(), sub.quit()]))
}

const HELLO = { hello: 'world' }
const JSON_TYPE = 'application/json; charset=utf-8'
const json = (body: unknown) => ({ body, statusCode: 200, headers: { 'content-type': JSON_TYPE, 'content-length': String(JSON.stringify(body).length) } })

type Ack = (jwr: unknown) => void
interface Envelope { method?: string, url?: string, headers?: Record<string, string>, data?: unknown }

let io: Server
let app: FastifyInstance | undefined
let port: number
let sailsBroadcast: ((room: string, event: string, payload: unknown) => void) | undefined
// rooms named `side-…` are joined by `GET /side/:room` (a fresh room per request); `leaveSide` empties them
const SIDE = 'side-'

if (kind === 'raw' || kind === 'control') {
  const http = createServer()
  io = new Server(http, socketio)
  const helloAck = json(HELLO)
  const postAck = json({ ok: true, count: 14 })
  const joinAck = json({ joined: true })
  io.on('connection', (socket) => {
    socket.on('get', (req: Envelope, ack: Ack) => {
      if (req.url === '/join') { socket.join(ROOM); ack(joinAck) } else if (req.url?.startsWith('/side/') === true) { socket.join(SIDE + req.url.slice(6)); ack(joinAck) } else ack(helloAck)
    })
    socket.on('post', (_req: Envelope, ack: Ack) => { ack(postAck) })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  port = (http.address() as AddressInfo).port
  closers.push(() => io.close())
} else if (kind === 'sails') {
  port = await freePort()
  const lifted = await liftSails({ port, hello: HELLO, room: ROOM })
  io = lifted.io
  sailsBroadcast = (room, event, payload) => lifted.sails.sockets.broadcast(room, event, payload)
  closers.push(() => new Promise<void>((resolve) => lifted.sails.lower(() => resolve())))
} else {
  app = Fastify()
  app.get('/hello', async () => HELLO)
  app.post('/echo', { schema: { body: POST_BODY_SCHEMA, response: POST_REPLY_SCHEMA } },
    async (request) => ({ ok: true, count: (request.body as { items: unknown[] }).items.length }))

  if (plugin) {
    const streams = kind === 'streams' ? { recovery: { maxDisconnectionDuration: 120_000 } } : {}
    const cluster = redisUrl === undefined ? {} : { cluster: { redis: { url: redisUrl }, key: arg('key') ?? 'bench', adapter: kind === 'streams' ? 'streams' : 'pubsub' }, ...streams }
    // the scale workload's sockets join a fresh room per request, far more than the default 100 per socket
    const dispatch = kind === 'inject' ? { dispatch: 'inject' } : {}
    await app.register(fastifySockets, { socketio, ...typedEvents, ...cluster, ...dispatch, maxRoomsPerSocket: 1_000_000 } as never)
    const sockets = app.sockets
    app.get('/join', async (request) => { await sockets.join(request, ROOM); return { joined: true } })
    app.get('/side/:room', async (request) => { await sockets.join(request, SIDE + (request.params as { room: string }).room); return { joined: true } })
    io = sockets.io
  } else {
    const fastify = app
    app.get('/join', async () => ({ joined: true }))
    io = new Server(app.server, socketio)
    io.on('connection', (socket) => {
      for (const verb of ['get', 'post']) {
        socket.on(verb, (req: Envelope, ack: Ack) => {
          if (req.url === '/join') socket.join(ROOM)
          fastify.inject({ method: verb.toUpperCase() as 'GET', url: req.url ?? '/', headers: req.headers, payload: req.data as object })
            .then((res) => {
              const type = res.headers['content-type']
              const body = typeof type === 'string' && type.includes('json') ? res.json() : res.payload
              ack({ body, statusCode: res.statusCode, headers: res.headers })
            }, (err: Error) => ack({ body: { message: err.message }, statusCode: 500, headers: {} }))
        })
      }
    })
    closers.push(() => io.close())
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as AddressInfo).port
  closers.unshift(() => (app as FastifyInstance).close())
}

function broadcast (payload: Tick): void {
  if (plugin) (app as FastifyInstance).sockets.broadcast(ROOM, EVENT, payload)
  else if (sailsBroadcast !== undefined) sailsBroadcast(ROOM, EVENT, payload)
  else io.to(ROOM).emit(EVENT, payload)
}

process.on('SIGTERM', () => process.exit(0))

let profiler: Session | undefined

// Collections so far: full (mark-compact) ones apart, with the main thread's pause time. A full collection of a
// heap holding 10,000 sockets is long, and whether one lands in a window or not moves that window's figure.
const collections = { full: 0, other: 0, pauseMs: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === perf.NODE_PERFORMANCE_GC_MAJOR) collections.full++
    else collections.other++
    collections.pauseMs += entry.duration
  }
}).observe({ entryTypes: ['gc'] })
const gc = (globalThis as { gc?: () => void }).gc

serve({
  // CPU time, collections, and what the kernel did for the process: minor page faults and context switches
  cpu: () => {
    const usage = process.resourceUsage()
    return { ...process.cpuUsage(), ...collections, faults: usage.minorPageFault, switches: usage.voluntaryContextSwitches + usage.involuntaryContextSwitches }
  },
  // RSS after the heap settled: three full collections a little apart
  mem: async () => {
    for (let i = 0; i < 3; i++) {
      gc?.()
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return process.memoryUsage()
  },
  clients: () => io.engine.clientsCount,
  // outside the measured windows: every socket leaves the rooms `GET /side/:room` made it join
  leaveSide: async () => {
    let left = 0
    for (const socket of io.of('/').sockets.values()) {
      const rooms = [...socket.rooms].filter((room) => room.startsWith(SIDE))
      if (rooms.length === 0) continue
      left += rooms.length
      if (kind === 'sockets') await (app as FastifyInstance).sockets.leave(socket.id, rooms)
      else for (const room of rooms) await socket.leave(room)
    }
    return left
  },
  roomSize: async () => (await io.in(ROOM).fetchSockets()).length,
  // `count` broadcasts, one every `everyMs`, so each is flushed on its own as in a live app
  broadcast: async ({ count, everyMs, text }: { count: number, everyMs: number, text: string }) => {
    for (let seq = 0; seq < count; seq++) {
      broadcast({ seq, t: now(), text })
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
    return count
  },
  // bench --prof: a V8 CPU profile of the measured windows only (open it in Chrome DevTools)
  profileStart: async () => {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 })
    await profiler.post('Profiler.start')
    return true
  },
  profileStop: async ({ file }: { file: string }) => {
    if (profiler === undefined) throw new Error('profileStop before profileStart')
    const { profile } = await profiler.post('Profiler.stop')
    profiler.disconnect()
    profiler = undefined
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, JSON.stringify(profile))
    return file
  },
  close: async () => {
    for (const close of closers) await close()
    setImmediate(() => process.exit(0))
  }
}, { port, pid: process.pid, typedEvents: Object.keys(typedEvents).length > 0 } satisfies ServerHello)
