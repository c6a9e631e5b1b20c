// Conditional and range requests from a browser-like socket: the handshake of a browser carries
// `cache-control: no-cache` and `pragma: no-cache` (every websocket handshake does), which must not reach
// virtual requests, or @fastify/static would refuse every 304. @fastify/static and @fastify/etag answer 304
// (and 206 for a range) over the socket exactly as over HTTP.
import t from 'tap'
import { get, type IncomingHttpHeaders } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import fastifyEtag from '@fastify/etag'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'

const STATIC = fileURLToPath(new URL('../fixtures/static/', import.meta.url))
const BROWSER_HANDSHAKE = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
  'cache-control': 'no-cache',
  pragma: 'no-cache',
  'accept-language': 'en-US,en;q=0.9',
  'sec-fetch-mode': 'websocket',
  'sec-fetch-site': 'same-origin'
}

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: STATIC, prefix: '/static/' })
  await app.register(async (scope) => {
    await scope.register(fastifyEtag)
    scope.get('/etag/data', async () => ({ stable: 'content' }))
  })
}

// node:http, not fetch: fetch adds `cache-control: no-cache` to any conditional request (the Fetch standard),
// which is the very header that makes @fastify/static refuse a 304
async function viaHttp (app: FastifyInstance, path: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: IncomingHttpHeaders, bytes: number }> {
  return await new Promise((resolve, reject) => {
    get(urlOf(app) + path, { headers }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/static answers 304 and 206 over a browser-like socket as over HTTP`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app, { extraHeaders: BROWSER_HANDSHAKE })
    const first = await request(socket, 'get', '/static/pixel.png')
    t.equal(first.statusCode, 200)
    const etag = first.headers.etag as string
    const modified = first.headers['last-modified'] as string
    t.ok(etag !== undefined && modified !== undefined, 'validators in the first answer')

    const conditionals: Array<Record<string, string>> = [{ 'if-none-match': etag }, { 'if-modified-since': modified }]
    for (const conditional of conditionals) {
      const http = await viaHttp(app, '/static/pixel.png', conditional)
      const jwr = await request(socket, 'get', '/static/pixel.png', undefined, conditional)
      t.equal(http.status, 304, `HTTP: ${Object.keys(conditional)[0]} gives 304`)
      t.equal(jwr.statusCode, 304, `socket: ${Object.keys(conditional)[0]} gives 304`)
      t.equal(jwr.body, undefined, 'no body')
      t.equal(jwr.headers.etag, http.headers.etag, 'same validator')
    }
    // why the handshake's cache-control must stay out: on a request of its own it does refuse the 304
    const noCache = await viaHttp(app, '/static/pixel.png', { 'if-none-match': etag, 'cache-control': 'no-cache' })
    t.equal(noCache.status, 200, 'HTTP with cache-control: no-cache on the request itself: 200')
    const socketNoCache = await request(socket, 'get', '/static/pixel.png', undefined, { 'if-none-match': etag, 'cache-control': 'no-cache' })
    t.equal(socketNoCache.statusCode, 200, 'the socket request that says no-cache itself: 200 too')

    const range = { range: 'bytes=0-9' }
    const httpRange = await viaHttp(app, '/static/pixel.png', range)
    const jwrRange = await request(socket, 'get', '/static/pixel.png', undefined, range)
    t.same([jwrRange.statusCode, (jwrRange.body as Buffer).length], [httpRange.status, httpRange.bytes], 'a range gives 206 and 10 bytes')
    t.equal(jwrRange.headers['content-range'], httpRange.headers['content-range'])
    t.equal(jwrRange.headers['content-length'], '10')
    t.equal((await request(socket, 'get', '/static/pixel.png')).statusCode, 200, 'the range was that request\'s only')
  })

  t.test(`${dispatch}: @fastify/etag answers 304 over a browser-like socket as over HTTP`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app, { extraHeaders: BROWSER_HANDSHAKE })
    const first = await request(socket, 'get', '/etag/data')
    const httpFirst = await viaHttp(app, '/etag/data')
    t.equal(first.headers.etag, httpFirst.headers.etag, 'the same ETag over both')
    const http = await viaHttp(app, '/etag/data', { 'if-none-match': first.headers.etag as string })
    const jwr = await request(socket, 'get', '/etag/data', undefined, { 'if-none-match': first.headers.etag as string })
    t.same([jwr.statusCode, jwr.body], [304, undefined])
    t.equal(http.status, 304)
    t.same((await request(socket, 'get', '/etag/data', undefined, { 'if-none-match': '"other"' })).body, { stable: 'content' }, 'a stale validator gets the body')
  })
}
