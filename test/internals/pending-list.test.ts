// A socket's requests in flight, threaded through the requests: added and removed in any order, counted,
// each removed once; a taken list is empty and its requests are off it.
import t from 'tap'
import { addPending, removePending, takePending } from '../../lib/virtual-request/pending-list.js'
import type { PendingRequest, SocketContext } from '../../lib/virtual-request/context.js'

function context (): SocketContext {
  return { pending: undefined, inFlight: 0 } as unknown as SocketContext
}
function request (ctx: SocketContext, url: string): PendingRequest {
  return { ctx, ack: undefined, method: 'GET', url, deadline: 0, older: undefined, newer: undefined, settled: false, request: undefined, prev: undefined, next: undefined }
}
function urls (ctx: SocketContext): string[] {
  const out: string[] = []
  for (let p = ctx.pending; p !== undefined; p = p.next) out.push(p.url)
  return out
}

t.test('requests come off from the head, the middle and the tail', async (t) => {
  const ctx = context()
  const [a, b, c, d] = ['/a', '/b', '/c', '/d'].map((url) => request(ctx, url)) as [PendingRequest, PendingRequest, PendingRequest, PendingRequest]
  for (const p of [a, b, c, d]) addPending(p)
  t.same(urls(ctx), ['/d', '/c', '/b', '/a'], 'newest first')
  t.equal(ctx.inFlight, 4)
  t.ok(removePending(b), 'from the middle')
  t.same(urls(ctx), ['/d', '/c', '/a'])
  t.ok(removePending(d), 'the head')
  t.same(urls(ctx), ['/c', '/a'])
  t.ok(removePending(a), 'the tail')
  t.same(urls(ctx), ['/c'])
  t.equal(ctx.inFlight, 1)
  t.notOk(removePending(a), 'a request already off the list is not counted twice')
  t.notOk(removePending(b))
  t.equal(ctx.inFlight, 1)
  t.ok(removePending(c))
  t.equal(ctx.pending, undefined)
  t.equal(ctx.inFlight, 0)
  // the links are undone: the request can go on a list again
  addPending(a)
  t.same(urls(ctx), ['/a'])
})

t.test('another socket\'s request is not on this list', async (t) => {
  const one = context()
  const two = context()
  const a = request(one, '/a')
  const b = request(two, '/b')
  addPending(a)
  t.notOk(removePending(b), 'never added')
  t.equal(one.inFlight, 1)
  t.equal(two.inFlight, 0)
})

t.test('taking a list empties it and unlinks its requests', async (t) => {
  const ctx = context()
  const list = ['/a', '/b', '/c'].map((url) => request(ctx, url))
  for (const p of list) addPending(p)
  const taken = takePending(ctx)
  t.same(taken.map((p) => p.url), ['/c', '/b', '/a'])
  t.equal(ctx.pending, undefined)
  t.equal(ctx.inFlight, 0)
  for (const p of taken) {
    t.equal(p.prev, undefined)
    t.equal(p.next, undefined)
    t.notOk(removePending(p), 'taken requests are off the list')
  }
  t.equal(ctx.inFlight, 0, 'and never counted below zero')
  t.same(takePending(ctx), [], 'an empty list takes nothing')
})
