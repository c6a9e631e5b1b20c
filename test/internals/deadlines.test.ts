// Deadlines of one duration on one timer: each item still there at its deadline expires, in order, once;
// an item deleted before never does; the timer re-arms for the items added later.
import t from 'tap'
import { Deadlines, type Deadlined } from '../../lib/virtual-request/deadlines.js'

interface Item extends Deadlined<Item> { name: string }
const item = (name: string): Item => ({ name, deadline: 0, older: undefined, newer: undefined })

// Resolves when `ready()` holds, checked on every turn of the loop; fails after 5 s. (The deadlines' timer
// is unref'd, as the requests' sockets keep a server alive: this deadline keeps the test alive.)
function until (ready: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const failure = setTimeout(() => { reject(new Error('not within 5 s')) }, 5000)
    const check = (): void => {
      if (ready()) { clearTimeout(failure); resolve() } else setImmediate(check)
    }
    check()
  })
}

t.test('items expire in the order they were added, deleted ones never', async (t) => {
  const expired: Array<{ name: string, late: boolean }> = []
  const deadlines = new Deadlines<Item>(20, (item) => { expired.push({ name: item.name, late: performance.now() >= item.deadline }) })
  const items = ['a', 'b', 'c'].map(item)
  for (const item of items) deadlines.add(item)
  deadlines.delete(items[1] as Item)
  await until(() => expired.length >= 2)
  // added after the first ones expired: the timer arms again for it
  deadlines.add(item('d'))
  await until(() => expired.length >= 3)
  t.same(expired.map((e) => e.name), ['a', 'c', 'd'])
  t.ok(expired.every((e) => e.late), 'none before its deadline')
})

t.test('an item deleted while others wait leaves them their deadlines', async (t) => {
  const seen: string[] = []
  const deadlines = new Deadlines<Item>(10, (item) => { seen.push(item.name) })
  const first = item('first')
  deadlines.add(first)
  deadlines.add(item('second'))
  deadlines.add(item('third'))
  deadlines.delete(first)
  await until(() => seen.length >= 2)
  t.same(seen, ['second', 'third'])
})

t.test('items come off from the head, the middle and the tail; one not queued is left alone', async (t) => {
  const seen: string[] = []
  const deadlines = new Deadlines<Item>(10, (expired) => { seen.push(expired.name) })
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(item) as [Item, Item, Item, Item, Item]
  for (const x of [a, b, c, d, e]) deadlines.add(x)
  deadlines.delete(c) // the middle
  deadlines.delete(a) // the oldest
  deadlines.delete(e) // the newest
  deadlines.delete(a) // twice: nothing
  deadlines.delete(item('never')) // never queued: nothing
  t.equal(a.older, undefined)
  t.equal(a.newer, undefined)
  deadlines.add(a) // queued again, now the newest
  await until(() => seen.length >= 3)
  t.same(seen, ['b', 'd', 'a'])
  // an expired item is off the queue: deleting it changes nothing, and it can be queued again
  deadlines.delete(b)
  deadlines.add(b)
  await until(() => seen.length >= 4)
  t.same(seen, ['b', 'd', 'a', 'b'])
})
