// Declared against live through the Node door (`compareLive`): a Terraform state
// against a snapshot (every drift, a failed read, a match), a deployed
// CloudFormation stack on moto's server changed live (SDK v3 clients and the
// built-in client), bad input named before any call.
// Without KMS_ROTATION_MOTO_ENDPOINT the moto tests skip, except under CI, where they fail.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { CloudFormation } from '@aws-sdk/client-cloudformation'
import { KMS } from '@aws-sdk/client-kms'

import { checkCloudFormation, checkTerraformPlan, loadSnapshot } from '../index.js'
import { assumeFreshAccount, faultProxy, motoEndpoint, rejectsWith } from './helpers.mjs'

const iac = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'kms-rotation-core', 'tests', 'iac')
const STATE = join(iac, 'terraform', 'drift-state.json')
const LIVE = join(iac, 'terraform', 'drift-live.json')
const STACK_TEMPLATE = join(iac, 'cloudformation', 'drift-stack.json')
const REGION = 'us-east-1'

/** Per address: status, reason and each difference as `field: declared -> live`. */
function drifts(report) {
  return Object.fromEntries(
    report.findings.map((f) => [
      f.code.address,
      [f.status, f.reason, (f.live?.differences ?? []).map((d) => `${d.field}: ${d.declared} -> ${d.live}`)],
    ]),
  )
}

describe('compareLive', () => {
  it('a state against a snapshot names every drift with both values', async () => {
    const report = await checkTerraformPlan(STATE, { compareLive: true, client: loadSnapshot(LIVE) })
    const found = drifts(report)
    assert.deepEqual(found['aws_kms_key.steady'], ['PASS', 'rotation_enabled', []])
    assert.deepEqual(found['aws_kms_key.switched_off'], ['FAIL', 'drift', ['rotation_enabled: true -> false']])
    assert.deepEqual(found['aws_kms_key.longer'], ['FAIL', 'drift', ['rotation_period_days: 365 -> 730']])
    assert.deepEqual(found['aws_kms_key.doomed'], ['FAIL', 'drift', ['key_state: Enabled -> PendingDeletion']])
    assert.deepEqual(found['aws_kms_key.gone'], ['FAIL', 'drift', ['key_state: Enabled -> not found']])
    assert.deepEqual(found['aws_kms_key.denied'].slice(0, 2), ['ERROR', 'api_error'])
    const switched = report.findings.find((f) => f.code.address === 'aws_kms_key.switched_off')
    assert.equal(switched.live.declared_status, 'PASS')
    assert.equal(switched.live.status, 'FAIL')
    assert.equal(switched.toJSON().live.state, 'compared')
    assert.equal(report.exitCode(), 2)
  })

  it('names bad input before any call', async () => {
    const live = loadSnapshot(LIVE)
    await rejectsWith(checkCloudFormation(STACK_TEMPLATE, { stackName: 'app' }), 'INVALID_INPUT', /stackName/)
    await rejectsWith(
      checkCloudFormation(STACK_TEMPLATE, { compareLive: true, client: live }),
      'INVALID_INPUT',
      /stackName/,
    )
    await rejectsWith(checkTerraformPlan(STATE, { client: live }), 'INVALID_INPUT', /client/)
    await rejectsWith(
      checkTerraformPlan(STATE, { compareLive: true, stackName: 'app', client: live }),
      'INVALID_INPUT',
      /stackName/,
    )
    const plan = {
      format_version: '1.2',
      planned_values: {
        root_module: {
          resources: [
            { address: 'aws_kms_key.a', mode: 'managed', type: 'aws_kms_key', name: 'a', values: { enable_key_rotation: true } },
          ],
        },
      },
    }
    await rejectsWith(checkTerraformPlan(plan, { compareLive: true, client: live }), 'INVALID_INPUT', /no declared key has a known id/)
    assert.deepEqual(live.calls(), [])
  })

  const EXPECTED = {
    Rotating: ['FAIL', 'drift', ['rotation_enabled: true -> false']],
    Yearly: ['FAIL', 'drift', ['rotation_period_days: 365 -> 730']],
    Doomed: ['FAIL', 'drift', ['key_state: Enabled -> PendingDeletion']],
    Steady: ['PASS', 'rotation_enabled', []],
  }

  /** The test stack deployed in a fresh account, changed live, and the proxy giving the periods moto does not keep. */
  async function deployed(t, endpoint) {
    const account = await assumeFreshAccount(endpoint)
    const credentials = account.credentials
    const cloudformation = new CloudFormation({ region: REGION, endpoint, credentials, maxAttempts: 1 })
    const kms = new KMS({ region: REGION, endpoint, credentials, maxAttempts: 1 })
    const name = `drift-${randomUUID().slice(0, 12)}`
    await cloudformation.createStack({ StackName: name, TemplateBody: readFileSync(STACK_TEMPLATE, 'utf8') })
    const { StackResources } = await cloudformation.describeStackResources({ StackName: name })
    const ids = Object.fromEntries(StackResources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId]))
    await kms.disableKeyRotation({ KeyId: ids.Rotating })
    await kms.scheduleKeyDeletion({ KeyId: ids.Doomed, PendingWindowInDays: 7 })
    const proxy = await faultProxy(endpoint)
    t.after(() => proxy.stop())
    await proxy.set(
      [
        ['Yearly', 730],
        ['Steady', 180],
      ].map(([logical, days]) => ({
        op: 'GetKeyRotationStatus',
        action: 'set_field',
        key: ids[logical],
        field: 'RotationPeriodInDays',
        value: days,
      })),
    )
    return { name, credentials, proxy }
  }

  it('a deployed stack changed live drifts, read with SDK v3 clients', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const { name, credentials, proxy } = await deployed(t, endpoint)
    const clients = {
      client: new KMS({ region: REGION, endpoint: proxy.url, credentials, maxAttempts: 1 }),
      cloudformationClient: new CloudFormation({ region: REGION, endpoint: proxy.url, credentials, maxAttempts: 1 }),
    }
    const report = await checkCloudFormation(STACK_TEMPLATE, { compareLive: true, stackName: name, ...clients })
    assert.deepEqual(drifts(report), EXPECTED)
    await proxy.set([])
    await rejectsWith(
      checkCloudFormation(STACK_TEMPLATE, { compareLive: true, stackName: 'no-such-stack', ...clients }),
      'INVALID_INPUT',
      /no-such-stack.*does not exist/,
    )
    assert.ok((await proxy.calls()).every((c) => c.op === 'DescribeStackResources'))
  })

  it('a deployed stack changed live drifts, read with the built-in client', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const { name, credentials, proxy } = await deployed(t, endpoint)
    const report = await checkCloudFormation([STACK_TEMPLATE], {
      compareLive: true,
      stackName: name,
      endpointUrl: proxy.url,
      regions: REGION,
      credentials,
    })
    assert.deepEqual(drifts(report), EXPECTED)
  })
})
