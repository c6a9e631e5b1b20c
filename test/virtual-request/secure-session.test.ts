// @fastify/secure-session over a socket: the whole session lives in an encrypted cookie, so without the
// socket's cookie jar its writes and delete() answered 200 and vanished. With the jar they persist for the
// socket, step for step as for a browser over HTTP.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fastifySecureSession from '@fastify/secure-session'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'
import { HttpClient } from '../helpers/http-client.js'

const KEY = randomBytes(32)

// @fastify/session and @fastify/secure-session both declare `request.session`; this suite compiles with both
interface Session { get (key: string): unknown, set (key: string, value: unknown): void, delete (): void }
const sessionOf = (request: FastifyRequest): Session => (request as unknown as { session: Session }).session

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifySecureSession, { key: KEY, cookie: { path: '/', httpOnly: true } })
  app.post('/cart/add', async (request) => {
    const items = (sessionOf(request).get('items') as string[] | undefined) ?? []
    items.push((request.body as { item: string }).item)
    sessionOf(request).set('items', items)
    return { items }
  })
  app.post('/cart', async (request) => ({ items: sessionOf(request).get('items') ?? [] }))
  app.post('/cart/clear', async (request) => { sessionOf(request).delete(); return { cleared: true } })
}

const SCRIPT: Array<[string, unknown?]> = [
  ['/cart'], ['/cart/add', { item: 'apple' }], ['/cart/add', { item: 'pear' }], ['/cart'],
  ['/cart/clear'], ['/cart'], ['/cart/add', { item: 'fig' }], ['/cart']
]

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/secure-session writes and delete() persist for the socket, as over HTTP`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const browser = new HttpClient(urlOf(app))
    const socket = await connect(t, app)
    const overHttp: unknown[] = []
    const overSocket: unknown[] = []
    for (const [path, data] of SCRIPT) {
      overHttp.push((await browser.call('post', path, data ?? {})).body)
      overSocket.push((await request(socket, 'post', path, data ?? {})).body)
    }
    t.same(overSocket, overHttp, 'the same answers, step for step')
    t.same(overSocket[3], { items: ['apple', 'pear'] }, 'writes persisted across requests')
    t.same(overSocket[5], { items: [] }, 'delete() persisted')
    t.same(overSocket[7], { items: ['fig'] }, 'a new session after the delete')
  })
}
