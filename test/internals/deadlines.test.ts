// Deadlines of one duration on one timer: each item still there at its deadline expires, in order, once;
// an item deleted before never does; the timer re-arms for the items added later.
import t from 'tap'
import { Deadlines } from '../../lib/virtual-request/deadlines.js'

interface Item { name: string, deadline: number }

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
  const items = ['a', 'b', 'c'].map((name) => ({ name, deadline: 0 }))
  for (const item of items) deadlines.add(item)
  deadlines.delete(items[1] as Item)
  await until(() => expired.length >= 2)
  // added after the first ones expired: the timer arms again for it
  deadlines.add({ name: 'd', deadline: 0 })
  await until(() => expired.length >= 3)
  t.same(expired.map((e) => e.name), ['a', 'c', 'd'])
  t.ok(expired.every((e) => e.late), 'none before its deadline')
})

t.test('an item deleted while others wait leaves them their deadlines', async (t) => {
  const seen: string[] = []
  const deadlines = new Deadlines<Item>(10, (item) => { seen.push(item.name) })
  const first = { name: 'first', deadline: 0 }
  deadlines.add(first)
  deadlines.add({ name: 'second', deadline: 0 })
  deadlines.add({ name: 'third', deadline: 0 })
  deadlines.delete(first)
  await until(() => seen.length >= 2)
  t.same(seen, ['second', 'third'])
})
