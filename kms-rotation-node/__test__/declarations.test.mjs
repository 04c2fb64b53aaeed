// Keys declared in code through the Node door: CDK stacks synthesised by
// aws-cdk-lib during the test (offline), handed over as
// `Template.fromStack(stack).toJSON()` — as a CDK unit test does — and the
// Terraform and CloudFormation fixtures the core's tests read.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { App } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'

import { checkCloudFormation, checkTerraformPlan } from '../index.js'
import { stacks } from './cdk/stacks.mjs'
import { rejectsWith } from './helpers.mjs'

const iac = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'kms-rotation-core', 'tests', 'iac')
const app = new App()
const { rotation, declared } = stacks(app)

/** status and reason of each finding, by logical id (CDK adds a hash to L2 ids: matched by prefix). */
function verdicts(report) {
  return Object.fromEntries(report.findings.map((f) => [f.code.address, `${f.status} ${f.reason}`]))
}
function byPrefix(report, prefix) {
  const found = report.findings.filter((f) => f.code.address.startsWith(prefix))
  assert.equal(found.length, 1, `one finding for ${prefix}`)
  return found[0]
}

describe('CDK stacks, as a CDK unit test checks them', () => {
  it('a stack of L2 keys: rotation, periods, HMAC, RSA, ECC', async () => {
    // The README's example.
    const report = await checkCloudFormation(Template.fromStack(rotation).toJSON())
    const failing = report.findings.filter((f) => f.status === 'FAIL').map((f) => f.code.address)
    assert.equal(failing.length, 2)
    assert.equal(report.exitCode(), 2)

    const expected = {
      Rotating: 'PASS rotation_enabled',
      NotRotating: 'FAIL rotation_disabled',
      Every180Days: 'PASS rotation_enabled',
      Every730Days: 'FAIL rotation_period_too_long',
      Hmac: 'NOT_APPLICABLE unsupported_key_spec',
      Rsa: 'NOT_APPLICABLE unsupported_key_spec',
      Ecc: 'NOT_APPLICABLE unsupported_key_spec',
    }
    for (const [prefix, verdict] of Object.entries(expected)) {
      const f = byPrefix(report, prefix)
      assert.equal(`${f.status} ${f.reason}`, verdict, prefix)
    }
    const notRotating = byPrefix(report, 'NotRotating')
    assert.deepEqual(notRotating.aliases, ['alias/not-rotating'])
    assert.equal(notRotating.code.fix, '"EnableKeyRotation": true,\n"RotationPeriodInDays": 365')
    assert.equal(notRotating.code.line, undefined)
    assert.equal(byPrefix(report, 'Every180Days').rotation.period_days, 180)
  })

  it('a stack of L1 keys: a multi-Region replica, EXTERNAL, a parameter, a condition', async () => {
    const template = Template.fromStack(declared).toJSON()
    const unknown = verdicts(await checkCloudFormation(template))
    assert.deepEqual(unknown, {
      Primary: 'PASS rotation_enabled',
      Replica: 'PASS rotation_enabled',
      Imported: 'NOT_APPLICABLE imported_key_material',
      FromParameter: 'ERROR unresolved',
      PeriodFromParameter: 'PASS rotation_enabled',
      DependsOnRegion: 'ERROR unresolved',
    })
    const given = await checkCloudFormation(template, { parameters: { RotateKeys: 'false' } })
    assert.equal(verdicts(given).FromParameter, 'FAIL rotation_disabled')
    const replica = given.findings.find((f) => f.code.address === 'Replica')
    assert.equal(replica.key.multi_region, 'REPLICA')
    assert.equal(replica.key.primary_arn, 'Primary')
    const region = given.findings.find((f) => f.code.address === 'DependsOnRegion')
    assert.match(region.message, /InUsEast1/)
  })

  it('exemptions and the policy apply as to live keys', async () => {
    const template = Template.fromStack(rotation).toJSON()
    const report = await checkCloudFormation(template, { exemptions: ['alias/not-rotating'], maxRotationPeriodDays: 730 })
    assert.equal(byPrefix(report, 'NotRotating').status, 'EXEMPT')
    assert.equal(byPrefix(report, 'Every730Days').status, 'PASS')
    assert.equal(report.exitCode(), 0)
  })
})

describe('files', () => {
  it('a Terraform plan, by path and as an object, gives the same verdicts', async () => {
    const path = join(iac, 'terraform', 'plan.json')
    const fromPath = await checkTerraformPlan(path)
    const fromObject = await checkTerraformPlan(JSON.parse(readFileSync(path, 'utf8')))
    assert.deepEqual(verdicts(fromObject), verdicts(fromPath))
    const logs = fromPath.findings.find((f) => f.code.address === 'aws_kms_key.logs')
    assert.equal(logs.code.file, path)
    assert.ok(logs.code.line > 0)
    assert.equal(verdicts(fromPath)['aws_kms_key.from_data'], 'ERROR unresolved')
    assert.match(fromPath.render('table'), /aws_kms_key\.logs/)
  })

  it('CloudFormation templates, several at once', async () => {
    const report = await checkCloudFormation(
      [join(iac, 'cloudformation', 'keys.yaml'), join(iac, 'cloudformation', 'replica.json')],
      { parameters: { EnableRotation: 'true' } },
    )
    const found = verdicts(report)
    assert.equal(found.ParameterKey, 'PASS rotation_enabled')
    assert.equal(found.SharedReplica, 'ERROR unresolved')
    assert.equal(Object.keys(found).length, 13)
  })
})

describe('bad input', () => {
  it('is named before anything is judged', async () => {
    await rejectsWith(checkTerraformPlan(join(iac, 'cloudformation', 'replica.json')), 'INVALID_INPUT', /a CloudFormation template/)
    await rejectsWith(
      checkCloudFormation({ Resources: {} }, { parameters: { Nope: '1' } }),
      'INVALID_INPUT',
      /Nope=1/,
    )
    await rejectsWith(checkCloudFormation(42), 'INVALID_INPUT', /path or the document/)
    await rejectsWith(checkTerraformPlan({ Resources: {} }, { regions: ['us-east-1'] }), 'INVALID_INPUT', /unknown option "regions"/)
    await rejectsWith(checkTerraformPlan({ format_version: '2.0', planned_values: {} }), 'INVALID_INPUT', /format_version/)
  })
})
