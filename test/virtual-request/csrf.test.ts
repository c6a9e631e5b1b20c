// @fastify/csrf-protection over a socket that connected without a cookie: the CSRF secret set with the token
// stays in the socket's cookie jar, so the token works on the socket's next request, as in a browser.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifyCsrf from '@fastify/csrf-protection'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'
import { HttpClient } from '../helpers/http-client.js'

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie)
  await app.register(fastifyCsrf)
  app.get('/csrf', async (_request, reply) => ({ token: reply.generateCsrf() }))
  app.post('/transfer', { onRequest: app.csrfProtection }, async (request) => ({ done: (request.body as { amount: number }).amount }))
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: a CSRF token from a cookie-less socket works on its next request`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const browser = new HttpClient(urlOf(app))
    const socket = await connect(t, app)

    const httpToken = (await browser.call('get', '/csrf')).body as { token: string }
    const socketToken = (await request(socket, 'get', '/csrf')).body as { token: string }
    const http = await browser.call('post', '/transfer', { amount: 5 }, { 'csrf-token': httpToken.token })
    const jwr = await request(socket, 'post', '/transfer', { amount: 5 }, { 'csrf-token': socketToken.token })
    t.same([jwr.statusCode, jwr.body], [http.statusCode, http.body], 'same answer over both')
    t.same([jwr.statusCode, jwr.body], [200, { done: 5 }], 'accepted')

    const forged = await request(socket, 'post', '/transfer', { amount: 5 }, { 'csrf-token': 'not-a-token' })
    const forgedHttp = await browser.call('post', '/transfer', { amount: 5 }, { 'csrf-token': 'not-a-token' })
    t.same([forged.statusCode, forgedHttp.statusCode], [403, 403], 'a wrong token is refused over both')
    const fresh = await connect(t, app)
    const otherSocket = await request(fresh, 'post', '/transfer', { amount: 5 }, { 'csrf-token': socketToken.token })
    t.equal(otherSocket.statusCode, 403, "another socket has not this socket's secret")
  })
}

t.test('without the jar the secret is lost and the token refused', async (t) => {
  const app = await buildApp(t, { cookieJar: false }, routes)
  const socket = await connect(t, app)
  const { token } = (await request(socket, 'get', '/csrf')).body as { token: string }
  t.equal((await request(socket, 'post', '/transfer', { amount: 1 }, { 'csrf-token': token })).statusCode, 403)
})
