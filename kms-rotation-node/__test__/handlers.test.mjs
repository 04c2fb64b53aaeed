// Continuous evaluation's handlers (`kms-rotation/lambda`) through AWS SDK v3 clients,
// on moto's KMS behind the fault proxy, which answers AWS Config's PutEvaluations and
// GetResourceConfigHistory itself and records them: the cases of
// scripts/parity/handlers.json (also run by the Rust and Python suites), each with AWS's
// documented sample event in a fresh account.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'

import { ConfigService } from '@aws-sdk/client-config-service'
import { KMS } from '@aws-sdk/client-kms'
import { Organizations } from '@aws-sdk/client-organizations'
import { SecurityHub } from '@aws-sdk/client-securityhub'
import { STS } from '@aws-sdk/client-sts'

import { sdkClientFactory } from '../index.js'

import lambda from '../lambda.js'
import { assumeRole, faultProxy, freshAccountId, motoEndpoint } from './helpers.mjs'

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'))
const PARITY = read('../../scripts/parity/handlers.json')
const HOME = PARITY.home_region
const KMS_OPERATIONS = new Set([
  'ListKeys',
  'ListAliases',
  'DescribeKey',
  'GetKeyRotationStatus',
  'EnableKeyRotation',
  'ListResourceTags',
  'ListKeyRotations',
  'RotateKeyOnDemand',
])

function fixture(file, name) {
  const cases = read(`../../kms-rotation-core/tests/events/${file}`).cases
  return structuredClone(cases.find((c) => c.name === name).event)
}

function fill(value, ids, account) {
  let text = JSON.stringify(value).replaceAll('$account', account)
  for (const name of Object.keys(ids).sort((a, b) => b.length - a.length)) {
    text = text.replaceAll(`$${name}`, ids[name])
  }
  return JSON.parse(text)
}

async function makeKeys(endpoint, account, keys) {
  const credentials = await assumeRole(endpoint, `arn:aws:iam::${account}:role/Seeder`, 'seed')
  const ids = {}
  for (const [name, spec] of Object.entries(keys)) {
    if (spec.missing) {
      ids[name] = '0d0e0a0d-0000-4000-8000-000000000404'
      continue
    }
    const kms = new KMS({ region: spec.region, endpoint, credentials })
    const create = {}
    if (spec.origin) create.Origin = spec.origin
    if (spec.multi_region) create.MultiRegion = true
    const key = (await kms.createKey(create)).KeyMetadata.KeyId
    if (spec.rotation) await kms.enableKeyRotation({ KeyId: key })
    if (spec.alias) await kms.createAlias({ AliasName: spec.alias, TargetKeyId: key })
    for (const [tag, value] of Object.entries(spec.tags ?? {})) {
      await kms.tagResource({ KeyId: key, Tags: [{ TagKey: tag, TagValue: value }] })
    }
    if (spec.replica) await kms.replicateKey({ KeyId: key, ReplicaRegion: spec.replica })
    if (spec.disabled) await kms.disableKey({ KeyId: key })
    if (spec.pending_deletion) await kms.scheduleKeyDeletion({ KeyId: key, PendingWindowInDays: 7 })
    ids[name] = key
  }
  return ids
}

function eventOf(testCase, ids, account) {
  let text = JSON.stringify(fixture(testCase.event.file, testCase.event.case))
  for (const [name, spec] of Object.entries(testCase.keys)) {
    const placeholder = spec.fixture_id ?? (name === 'k' ? PARITY.fixture_key_id : undefined)
    if (placeholder) text = text.replaceAll(placeholder, ids[name])
  }
  for (const fixtureAccount of testCase.accounts ?? PARITY.fixture_accounts) {
    text = text.replaceAll(fixtureAccount, account)
  }
  const event = JSON.parse(text)
  for (const [path, value] of Object.entries(testCase.set ?? {})) {
    const steps = path.split('.')
    const last = steps.pop()
    const at = steps.reduce((object, step) => object[step], event)
    if (value === null) delete at[last]
    else at[last] = value
  }
  if (testCase.handler === 'config' && 'rule_parameters' in testCase) {
    event.ruleParameters = JSON.stringify(testCase.rule_parameters)
  }
  return event
}

async function control(url, body) {
  const response = await fetch(url, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })
  assert.equal(response.status, 200)
  return response.json()
}

function errorLabel(error) {
  if (error.code === 'INVALID_INPUT') return `invalid:${error.argument}`
  if (error.code === 'API_ERROR') return error.awsCode
  return `other:${error.code}: ${error.message}`
}

async function outcome(result, error, ids, proxy) {
  const nameOf = (text) => Object.keys(ids).find((name) => text.includes(ids[name])) ?? text
  const out = { error: error ? errorLabel(error) : null }
  if (result) {
    out.findings = result.findings.map((f) => [nameOf(f.key_arn), f.region, f.status, f.reason])
    out.gone = result.gone.map((t) => nameOf(t.key))
    out.skipped = result.skipped !== null
    out.remediation = (result.remediation?.actions ?? []).map((a) => [nameOf(a.target_arn), a.outcome])
    const delivery = result.security_hub
    out.security_hub = delivery ? { ...delivery, failed: delivery.failed.map((f) => f.code) } : null
  }
  const evaluations = []
  const configCalls = []
  for (const record of await control(`${proxy.url}/__config`)) {
    configCalls.push(record.op)
    if (record.op !== 'PutEvaluations') continue
    const failed = new Set(record.answer.FailedEvaluations.map((e) => e.ComplianceResourceId))
    for (const e of record.request.Evaluations) {
      if (!failed.has(e.ComplianceResourceId)) {
        evaluations.push([nameOf(e.ComplianceResourceId), e.ComplianceType, e.Annotation.split(':')[0]])
      }
    }
  }
  out.evaluations = evaluations
  out.config_calls = configCalls
  const calls = await control(`${proxy.url}/__calls`)
  out.kms_calls = [...new Set(calls.map((c) => c.op).filter((op) => KMS_OPERATIONS.has(op)))].sort()
  return out
}

// `security_hub_finding` for the key `name` (its region, the account, its id).
function hubFinding(testCase, ids, name, account) {
  const text = JSON.stringify(PARITY.security_hub_finding)
    .replaceAll('KEY_ID', ids[name])
    .replaceAll('ACCOUNT', account)
    .replaceAll('REGION', testCase.keys[name].region)
  return JSON.parse(text)
}

// The RecordState Security Hub holds for each finding `hubFinding` made.
async function hubRecords(testCase, ids, account, endpoint, credentials) {
  const records = {}
  for (const name of testCase.security_hub ?? []) {
    const wanted = hubFinding(testCase, ids, name, account).Id
    const hub = new SecurityHub({ region: testCase.keys[name].region, endpoint, credentials })
    let token
    do {
      const page = await hub.getFindings({ NextToken: token })
      for (const finding of page.Findings ?? []) if (finding.Id === wanted) records[name] = finding.RecordState
      token = page.NextToken
    } while (token)
  }
  return records
}

function compare(expect, got) {
  const problems = []
  const sorted = (list) => (list ?? []).map((x) => JSON.stringify(x)).sort()
  for (const [field, want] of Object.entries(expect)) {
    let ok
    if (['evaluations', 'findings', 'remediation', 'gone'].includes(field)) {
      ok = JSON.stringify(sorted(want)) === JSON.stringify(sorted(got[field]))
    } else if (field === 'some_kms_calls') {
      ok = want.every((op) => got.kms_calls.includes(op))
    } else if (field === 'no_kms_calls') {
      ok = !want.some((op) => got.kms_calls.includes(op))
    } else if (field === 'error' && typeof want === 'string' && want.startsWith('invalid:')) {
      // This package names an option argument as it spells it (maxRotationPeriodDays).
      ok = got.error === want || got.error === want.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
    } else {
      ok = JSON.stringify(want) === JSON.stringify(got[field])
    }
    if (!ok) problems.push(`${field}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got[field])}`)
  }
  if (!('error' in expect) && got.error !== null) problems.push(`unexpected error ${got.error}`)
  return problems
}

describe('the handlers on the shared cases (scripts/parity/handlers.json)', () => {
  let endpoint = null
  let proxy = null
  before(async () => {
    endpoint = process.env.KMS_ROTATION_MOTO_ENDPOINT
    if (endpoint) proxy = await faultProxy(endpoint)
  })
  after(() => proxy?.stop())

  for (const testCase of PARITY.cases) {
    it(testCase.name, async (t) => {
      if (!motoEndpoint(t)) return
      const account = freshAccountId()
      const ids = await makeKeys(endpoint, account, testCase.keys)
      await proxy.set(fill(testCase.faults ?? [], ids, account))
      await control(`${proxy.url}/__config_items`, fill(testCase.config_items ?? [], ids, account))
      const event = eventOf(testCase, ids, account)
      // The function's account: the keys' own, or another one (events forwarded to a central account).
      const functionAccount = testCase.function_in_other_account ? freshAccountId() : account
      const credentials = await assumeRole(endpoint, `arn:aws:iam::${functionAccount}:role/KmsRotationHandler`, 'handler')
      const clientFactory = (region) => new KMS({ region, endpoint: proxy.url, credentials })
      const context = {
        invokedFunctionArn: `arn:aws:lambda:${HOME}:${functionAccount}:function:kms-rotation`,
        getRemainingTimeInMillis: () => testCase.time_left_ms ?? 300000,
      }
      const delivery = {}
      if (testCase.security_hub) {
        for (const name of testCase.security_hub) {
          const seeder = new SecurityHub({ region: testCase.keys[name].region, endpoint: proxy.url, credentials })
          const seeded = await seeder.batchImportFindings({ Findings: [hubFinding(testCase, ids, name, account)] })
          assert.equal(seeded.FailedCount, 0)
        }
        // toSecurityHub takes one client: that of the Region of the case's keys.
        const region = Object.values(testCase.keys)[0].region
        delivery.toSecurityHub = new SecurityHub({ region, endpoint: proxy.url, credentials, maxAttempts: 1 })
      }
      let result = null
      let error = null
      try {
        if (testCase.handler === 'config') {
          const configClient = new ConfigService({ region: HOME, endpoint: proxy.url, credentials })
          result = await lambda.makeConfigRuleHandler({ clientFactory, configClient, region: HOME, ...delivery })(
            event,
            context,
          )
        } else {
          const handler = lambda.makeEventHandler({
            clientFactory,
            region: HOME,
            ruleParameters: testCase.rule_parameters ?? {},
            crossAccountRoleName: testCase.cross_account_role_name,
            serviceClientFactory: sdkClientFactory({ KMS, STS, Organizations }, { endpoint: proxy.url, credentials }),
            ...delivery,
          })
          result = await handler(event, context)
        }
      } catch (raised) {
        error = raised
      }
      const got = await outcome(result, error, ids, proxy)
      got.hub_records = await hubRecords(testCase, ids, account, proxy.url, credentials)
      assert.deepEqual(compare(testCase.expect, got), [], JSON.stringify(got))
    })
  }

  // Runs `body` in the environment Lambda gives a function in `account` (through the proxy), and `extra`.
  async function inLambda(account, extra, body) {
    const credentials = await assumeRole(endpoint, `arn:aws:iam::${account}:role/KmsRotationHandler`, 'handler')
    const saved = { ...process.env }
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_REGION: HOME,
      AWS_ENDPOINT_URL: proxy.url,
      ...extra,
    })
    try {
      await body()
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
      Object.assign(process.env, saved)
    }
  }

  it('builds its clients from the environment, as in Lambda', async (t) => {
    if (!motoEndpoint(t)) return
    const account = freshAccountId()
    const ids = await makeKeys(endpoint, account, { k: { region: 'us-west-2', rotation: true } })
    await proxy.set([])
    await inLambda(account, { KMS_ROTATION_RULE_PARAMETERS: JSON.stringify({ max_rotation_period_days: '365' }) }, async () => {
      const event = JSON.parse(
        JSON.stringify(fixture('eventbridge.json', 'KMS CMK Rotation'))
          .replaceAll(PARITY.fixture_key_id, ids.k)
          .replaceAll('111122223333', account),
      )
      const result = await lambda.eventHandler(event, {})
      assert.deepEqual(
        result.findings.map((f) => f.status),
        ['PASS'],
      )
      process.env.KMS_ROTATION_RULE_PARAMETERS = JSON.stringify({ max_rotation_period_days: '30' })
      await assert.rejects(lambda.eventHandler(event, {}), (e) => e.code === 'INVALID_INPUT' && /max_rotation_period_days/.test(e.message))
    })
  })

  it('reads KMS_ROTATION_TO_SECURITY_HUB through the core, as the template sets it', async (t) => {
    if (!motoEndpoint(t)) return
    const account = freshAccountId()
    const ids = await makeKeys(endpoint, account, { k: { region: HOME, rotation: false } })
    await proxy.set([])
    await inLambda(account, { KMS_ROTATION_RULE_PARAMETERS: '' }, async () => {
      const event = JSON.parse(
        JSON.stringify(fixture('eventbridge.json', 'DisableKeyRotation'))
          .replaceAll(PARITY.fixture_key_id, ids.k)
          .replaceAll('111122223333', account)
          .replaceAll('us-west-2', HOME),
      )
      assert.equal(lambda.TO_SECURITY_HUB_ENV, 'KMS_ROTATION_TO_SECURITY_HUB')
      process.env.KMS_ROTATION_TO_SECURITY_HUB = 'false'
      assert.equal((await lambda.eventHandler(event, {})).security_hub, null)
      process.env.KMS_ROTATION_TO_SECURITY_HUB = 'true'
      const delivered = (await lambda.eventHandler(event, {})).security_hub
      assert.deepEqual([delivered.imported, delivered.created, delivered.failed], [1, 1, []])
      process.env.KMS_ROTATION_TO_SECURITY_HUB = 'yes'
      await assert.rejects(
        lambda.eventHandler(event, {}),
        (e) => e.code === 'INVALID_INPUT' && /KMS_ROTATION_TO_SECURITY_HUB/.test(e.message) && /yes/.test(e.message),
      )
    })
  })

  it('ships the event pattern', () => {
    const text = JSON.stringify(lambda.eventPattern())
    for (const name of ['EnableKeyRotation', 'KMS CMK Rotation', 'KMS Imported Key Material Expiration']) {
      assert.ok(text.includes(name), name)
    }
  })
})
