import type { PendingRequest, SocketContext } from './context.js'

// A socket's requests in flight, as a list threaded through the requests themselves: adding and removing one
// allocates nothing, and a socket costs a field and a count, where a Set of its own cost ~170 bytes for each
// of the 10,000 sockets of the scale bench (an idle socket's Set, once it made one request).

/** Adds a request to its socket's list. */
export function addPending (pending: PendingRequest): void {
  const ctx = pending.ctx
  const head = ctx.pending
  pending.prev = undefined
  pending.next = head
  if (head !== undefined) head.prev = pending
  ctx.pending = pending
  ctx.inFlight++
}

/** Takes a request off its socket's list; false when it was not on it. */
export function removePending (pending: PendingRequest): boolean {
  const ctx = pending.ctx
  const { prev, next } = pending
  if (prev === undefined) {
    if (ctx.pending !== pending) return false
    ctx.pending = next
  } else {
    prev.next = next
  }
  if (next !== undefined) next.prev = prev
  pending.prev = pending.next = undefined
  ctx.inFlight--
  return true
}

/** Empties a socket's list, returning what was on it, newest first. */
export function takePending (ctx: SocketContext): PendingRequest[] {
  const taken: PendingRequest[] = []
  for (let p = ctx.pending; p !== undefined; p = p.next) taken.push(p)
  for (const p of taken) p.prev = p.next = undefined
  ctx.pending = undefined
  ctx.inFlight = 0
  return taken
}
