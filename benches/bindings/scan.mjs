// Times the offline scan of a snapshot file through the Node binding.
//
// Usage: node benches/bindings/scan.mjs FILE   (prints "node <median ms>")
// Each run loads the file, checks every key and serialises the report to JSON
// with the core's serializer (`report.render('json')`), as
// benches/binding_overhead.rs does in Rust (`report.to_json()`); the report is
// checked after the clock stops. The median of the same runs with
// `JSON.stringify(report)` instead (the report's `toJSON()` object, stringified
// by V8) goes to stderr.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { checkAccount, loadSnapshot } = require('../../kms-rotation-node/index.js')

const path = process.argv[2]
const runs = Number(process.env.RUNS ?? 5)

async function median(serialise) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const report = await checkAccount({ client: loadSnapshot(path) })
    const text = serialise(report)
    times.push(performance.now() - started)
    // Checked outside the clock: reading the findings builds 10,000 objects the scan does not need.
    if (report.findings.length !== 10000 || !text) throw new Error('unexpected report')
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)].toFixed(1)
}

const rendered = await median((report) => report.render('json'))
const stringified = await median((report) => JSON.stringify(report))
console.error(`node (JSON.stringify) ${stringified}`)
console.log(`node ${rendered}`)
