// Times the offline scan of a snapshot file through the Node binding.
//
// Usage: node --expose-gc benches/bindings/scan.mjs FILE   (prints "node <median ms>")
// Each run loads the file, checks every key and serialises the report to JSON
// with the core's serializer (`report.render('json')`), as
// benches/binding_overhead.rs does in Rust (`report.to_json()`); the report is
// checked after the clock stops. As there (and in scan.py), the snapshot, the
// report and the text are freed after the clock stops: with `--expose-gc` the
// run ends with a collection and the finalizers it schedules, outside the clock;
// without it, V8 frees them whenever it collects, often inside a later run.
// To stderr: the median of each phase, and the median of the same runs with
// `JSON.stringify(report)` instead (the report's `toJSON()` object, stringified by V8).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { checkAccount, loadSnapshot } = require('../../kms-rotation-node/index.js')

const path = process.argv[2]
const runs = Number(process.env.RUNS ?? 5)
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Frees what the last run left: a full collection, then the finalizers it queued (native memory). */
async function release() {
  if (typeof globalThis.gc !== 'function') return
  globalThis.gc()
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
}

async function scan(serialise) {
  const phases = { load: [], check: [], serialise: [], total: [] }
  for (let i = 0; i < runs; i++) {
    await release()
    const started = performance.now()
    const snapshot = loadSnapshot(path)
    const loaded = performance.now()
    const report = await checkAccount({ client: snapshot })
    const checked = performance.now()
    const text = serialise(report)
    const done = performance.now()
    phases.load.push(loaded - started)
    phases.check.push(checked - loaded)
    phases.serialise.push(done - checked)
    phases.total.push(done - started)
    // Checked outside the clock: reading the findings builds 10,000 objects the scan does not need.
    if (report.findings.length !== 10000 || !text) throw new Error('unexpected report')
  }
  await release()
  return Object.fromEntries(Object.entries(phases).map(([name, times]) => [name, median(times).toFixed(1)]))
}

const rendered = await scan((report) => report.render('json'))
const stringified = await scan((report) => JSON.stringify(report))
const gc = typeof globalThis.gc === 'function' ? 'freed outside the clock' : 'no --expose-gc: freed by V8 when it collects'
console.error(`node phases (${gc}): load ${rendered.load}, check ${rendered.check}, render('json') ${rendered.serialise}`)
console.error(`node (JSON.stringify) ${stringified.total}: serialise ${stringified.serialise}`)
console.log(`node ${rendered.total}`)
