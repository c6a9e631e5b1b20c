// A page written for sails.io.js works by changing its <script src>: the same page runs in headless
// Chromium once with the real sails.io.js 1.2.1 browser build (socket.io-client 2.0.3, Engine.IO 3) and once
// with the plugin's bundle, and must give the same results: same origin, cross-origin (with the
// /__getcookie JSONP step), and script-tag configuration.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { buildApp, urlOf } from '../helpers/app.js'
import { ensureBundle } from '../helpers/bundle.js'
import { browserSkip, launch, WAIT } from '../helpers/browser.js'

const require = createRequire(import.meta.url)
const SCRIPTS = { 'sails.io.js': '/sails.io.js', 'fastify-sockets': '/fastify-sockets.js' } as const

// Written once, as a Sails front end would (ES5, callbacks); CONFIG runs right after the script tag.
function page (src: string, attrs: string, config: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>compat</title></head><body>
<script src="${src}" ${attrs}></script>
<script>
  window.results = {}
  function record (name) {
    return function (body, jwr) { results[name] = { body: body, statusCode: jwr.statusCode, hasError: !!jwr.error } }
  }
  ${config}
  if (io.socket) {
    io.socket.on('connect', function () { results.connected = true })
    io.socket.on('news', function (m) { results.news = m })
    io.socket.get('/hello', { a: '1' }, record('get'))
    io.socket.post('/echo', { n: 1 }, record('post'))
    io.socket.put('/echo', { n: 2 }, record('put'))
    io.socket.patch('/echo', { n: 3 }, record('patch'))
    io.socket['delete']('/echo', record('delete'))
    io.socket.get('/nowhere', record('missing'))
    io.socket.request({ method: 'post', url: '/echo', data: { n: 4 }, headers: { 'x-token': 'abc' } }, record('request'))
  }
  window.addEventListener('load', function () { setTimeout(function () { results.eagerSocket = typeof io.socket }) })
</script></body></html>`
}

const sailsDist = await readFile(require.resolve('sails.io.js/dist/sails.io.js'), 'utf8')

// The API: the plugin, the routes the page calls, and the page itself (same-origin case).
async function api (t: Parameters<typeof buildApp>[0], hits: { getcookie: number }): Promise<FastifyInstance> {
  return await buildApp(t, {}, (app) => {
    app.addHook('onRequest', async (request) => { if (request.url === '/__getcookie') hits.getcookie++ })
    app.get('/hello', async (request) => ({ query: request.query, isSocket: request.isSocket }))
    for (const method of ['post', 'put', 'patch', 'delete'] as const) {
      app[method]('/echo', async (request) => ({ method: request.method, body: request.body ?? null, token: request.headers['x-token'] ?? null }))
    }
    app.get('/sails.io.js', async (_request, reply) => reply.type('application/javascript').send(sailsDist))
    app.get<{ Querystring: { src: string, attrs?: string, config?: string } }>('/page', async (request, reply) =>
      reply.type('text/html').send(page(request.query.src, request.query.attrs ?? '', request.query.config ?? '')))
  })
}

async function results (p: Page, keys: string[]): Promise<Record<string, unknown>> {
  await p.waitForFunction((keys) => keys.every((k) => (window as unknown as { results: Record<string, unknown> }).results[k] !== undefined), keys, WAIT)
  return await p.evaluate(() => (window as unknown as { results: Record<string, unknown> }).results)
}

const REQUESTS = ['get', 'post', 'put', 'patch', 'delete', 'missing', 'request', 'connected', 'eagerSocket']

function checkRequests (t: Test, r: Record<string, unknown>, label: string): void {
  t.same(r.get, { body: { query: { a: '1' }, isSocket: true }, statusCode: 200, hasError: false }, `${label}: get`)
  t.same(r.post, { body: { method: 'POST', body: { n: 1 }, token: null }, statusCode: 200, hasError: false }, `${label}: post`)
  t.same(r.put, { body: { method: 'PUT', body: { n: 2 }, token: null }, statusCode: 200, hasError: false }, `${label}: put`)
  t.same(r.patch, { body: { method: 'PATCH', body: { n: 3 }, token: null }, statusCode: 200, hasError: false }, `${label}: patch`)
  t.same(r.delete, { body: { method: 'DELETE', body: {}, token: null }, statusCode: 200, hasError: false }, `${label}: delete`)
  t.match(r.missing, { statusCode: 404, hasError: true, body: { error: 'Not Found' } }, `${label}: 404`)
  t.same(r.request, { body: { method: 'POST', body: { n: 4 }, token: 'abc' }, statusCode: 200, hasError: false }, `${label}: request with headers`)
  t.equal(r.eagerSocket, 'object', `${label}: io.socket is kept when autoConnect is on`)
}

t.test('one sails.io.js page, two scripts, same results', { skip: browserSkip() }, async (t) => {
  ensureBundle()
  const hits = { getcookie: 0 }
  const app = await api(t, hits)
  const apiUrl = urlOf(app)
  const browser: Browser = await launch(t)

  // Another origin serving the page for the cross-origin case (a different port is a different origin).
  const other = Fastify()
  t.teardown(() => other.close())
  other.get<{ Querystring: { src: string, attrs?: string, config?: string } }>('/page', async (request, reply) =>
    reply.type('text/html').send(page(request.query.src, request.query.attrs ?? '', request.query.config ?? '')))
  await other.listen({ port: 0, host: '127.0.0.1' })
  const otherUrl = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}`

  for (const [name, src] of Object.entries(SCRIPTS)) {
    await t.test(`${name}: same origin, io.socket auto-connects, requests queued before connect`, async (t) => {
      const p = await (await browser.newContext()).newPage()
      const errors: string[] = []
      p.on('pageerror', (err) => errors.push(err.message))
      await p.goto(`${apiUrl}/page?src=${encodeURIComponent(src)}`)
      const r = await results(p, REQUESTS)
      checkRequests(t, r, name)
      app.sockets.blast('news', { title: `for ${name}` })
      t.same((await results(p, ['news'])).news, { title: `for ${name}` }, `${name}: a pushed event reaches io.socket.on`)
      t.same(errors, [])
      await p.context().close()
    })

    await t.test(`${name}: cross-origin page, url on the script tag, /__getcookie first`, async (t) => {
      const before = hits.getcookie
      const p = await (await browser.newContext()).newPage()
      await p.goto(`${otherUrl}/page?src=${encodeURIComponent(apiUrl + src)}&attrs=${encodeURIComponent(`url="${apiUrl}"`)}`)
      checkRequests(t, await results(p, REQUESTS), `${name} cross-origin`)
      t.equal(hits.getcookie, before + 1, `${name}: the cookie route was loaded once before connecting`)
      await p.context().close()
    })

    if (name === 'fastify-sockets') {
      // sails.io.js connects one tick after loading, which Chromium may run before the page's next inline
      // script when the SDK comes from another origin; the bundle waits for the end of parsing instead.
      await t.test(`${name}: cross-origin page, io.sails.url set in an inline script after the script tag`, async (t) => {
        const p = await (await browser.newContext()).newPage()
        const config = `io.sails.url = '${apiUrl}'`
        await p.goto(`${otherUrl}/page?src=${encodeURIComponent(apiUrl + src)}&config=${encodeURIComponent(config)}`)
        checkRequests(t, await results(p, REQUESTS), `${name} cross-origin, inline config`)
        await p.context().close()
      })
    }

    await t.test(`${name}: data-autoConnect="false" on the script tag, then io.sails.connect()`, async (t) => {
      const p = await (await browser.newContext()).newPage()
      await p.goto(`${apiUrl}/page?src=${encodeURIComponent(src)}&attrs=${encodeURIComponent('data-autoConnect="false"')}`)
      const r = await results(p, ['eagerSocket'])
      t.equal(r.eagerSocket, 'undefined', `${name}: io.socket is removed when autoConnect is off`)
      const manual = await p.evaluate(() => new Promise((resolve) => {
        const io = (window as unknown as { io: { sails: { connect: () => { get: (url: string, cb: (body: unknown, jwr: { statusCode: number }) => void) => void } } } }).io
        io.sails.connect().get('/hello', (body, jwr) => resolve({ body, statusCode: jwr.statusCode }))
      }))
      t.same(manual, { body: { query: {}, isSocket: true }, statusCode: 200 }, `${name}: a manual socket works`)
      await p.context().close()
    })
  }
})
