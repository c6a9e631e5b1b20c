import Fastify from 'fastify'
import { expect } from 'tstyche'
import fastifySockets, { type JWR } from '../lib/index.js'

const app = Fastify()
expect(app.register).type.toBeCallableWith(fastifySockets, { allowedOrigins: ['https://a.example'], requestTimeout: 1000 })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { requestTimeout: '1s' })
expect(app.register).type.not.toBeCallableWith(fastifySockets, { allowedOrigins: 'https://a.example' })

app.get('/x', async (request) => {
  expect(request.isSocket).type.toBe<boolean>()
  expect(app.sockets.getId(request)).type.toBe<string | undefined>()
  expect(app.sockets.join(request, 'room')).type.toBe<Promise<void>>()
  return null
})
expect<JWR>().type.toBeAssignableTo<{ body: unknown, statusCode: number }>()
