// Time per event of continuous evaluation's handlers through the Node binding,
// offline: the demo snapshot's SDK-shaped KMS clients (`snapshot.kmsClient(region)`)
// and an AWS Config in memory; the same events as benches/handlers.rs (from
// handler-events.json). Prints one JSON line per event.
//
// Usage: node benches/bindings/handlers.mjs   (RUNS=N, default 200)
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { loadSnapshot } = require('../../kms-rotation-node/index.js')
const { makeConfigRuleHandler, makeEventHandler } = require('../../kms-rotation-node/lambda.js')

const runs = Number(process.env.RUNS ?? 200)
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const snapshot = loadSnapshot(new URL('../../examples/data/demo-account.json', import.meta.url).pathname)
const clients = new Map()
const clientFactory = (region) => {
  if (!clients.has(region)) clients.set(region, snapshot.kmsClient(region))
  return clients.get(region)
}
const configClient = {
  putEvaluations: async () => ({ FailedEvaluations: [] }),
  getResourceConfigHistory: async () => ({ configurationItems: [] }),
}
const configRule = makeConfigRuleHandler({ clientFactory, configClient, region: 'us-east-1' })
const events = makeEventHandler({ clientFactory, region: 'us-east-1', ruleParameters: {} })
const all = JSON.parse(readFileSync(new URL('handler-events.json', import.meta.url), 'utf8'))
for (const [name, event] of Object.entries(all)) {
  const times = []
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now()
    try {
      await ('invokingEvent' in event ? configRule(event, {}) : events(event, {}))
    } catch (error) {
      // The demo's unreadable keys fail the scheduled invocation, as they should.
      if (error.code !== 'API_ERROR') throw error
    }
    times.push(performance.now() - started)
  }
  console.log(JSON.stringify({ door: 'node', event: name, runs, median_ms: median(times) }))
}
