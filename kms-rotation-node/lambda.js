// Continuous evaluation's AWS Lambda handlers (`kms-rotation/lambda`):
//
//   // index.js of the function (handler: index.configRuleHandler or index.eventHandler)
//   module.exports = require('kms-rotation/lambda')
//
// `configRuleHandler(event, context)` is an AWS Config custom rule's function (scope
// AWS::KMS::Key, change and periodic triggers); `eventHandler(event, context)` an
// EventBridge rule's (pattern: `eventPattern()`). Both are the core's handlers - the
// Python package and the Rust Lambda binary run the same: each key an event names is
// checked with a fresh read, and the Config rule's verdicts written with PutEvaluations.
// A key that cannot be judged writes no evaluation and the invocation rejects with
// `API_ERROR` and the AWS code (after the others are written), so that Lambda retries.
//
// Clients come from the environment, as the AWS SDK v3 makes them (the function's
// role, AWS_REGION, AWS_ENDPOINT_URL for an emulator); `makeConfigRuleHandler` and
// `makeEventHandler` take your own (`clientFactory`: region -> KMS client;
// `configClient`) and any option of `remediateKeys`. The EventBridge handler's policy
// is KMS_ROTATION_RULE_PARAMETERS (JSON, the Config rule's parameter names).
'use strict'

const native = require('./index.js')

// KMS_ROTATION_TO_SECURITY_HUB 'true' (the template's ToSecurityHub): the findings go to
// Security Hub too, through an SDK v3 SecurityHub client of the function's region unless
// `toSecurityHub` is given; 'false', unset or empty: not; anything else rejects with
// INVALID_INPUT naming it. The core reads it, as the Rust binary and Python do.
function delivery(region) {
  if (!native.toSecurityHubFromEnv()) return {}
  const { SecurityHub } = require('@aws-sdk/client-securityhub')
  // kms-rotation paces and retries each call itself.
  return { toSecurityHub: new SecurityHub({ region, maxAttempts: 1 }) }
}

function homeRegion(options) {
  return options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
}

function invocation(context, region, ruleParameters, otherAccounts = {}) {
  const remaining = context && typeof context.getRemainingTimeInMillis === 'function'
  return {
    region,
    functionArn: context?.invokedFunctionArn,
    timeLeftMs: remaining ? context.getRemainingTimeInMillis() : undefined,
    ruleParameters:
      ruleParameters === undefined || typeof ruleParameters === 'string' ? ruleParameters : JSON.stringify(ruleParameters),
    ...otherAccounts,
  }
}

// STS and KMS clients for a key of another account (the SDK's classes loaded on first use).
function defaultServiceClientFactory() {
  let made
  return (service, region, credentials) => {
    if (made === undefined) {
      const { KMS } = require('@aws-sdk/client-kms')
      const { STS } = require('@aws-sdk/client-sts')
      const { Organizations } = require('@aws-sdk/client-organizations')
      made = native.sdkClientFactory({ KMS, STS, Organizations })
    }
    return made(service, region, credentials)
  }
}

// The SDK v3 wants Dates for timestamps; the core hands RFC 3339 text.
function configMethods(client) {
  return {
    putEvaluations: (request) =>
      client.putEvaluations({
        ...request,
        Evaluations: (request.Evaluations ?? []).map((e) => ({ ...e, OrderingTimestamp: new Date(e.OrderingTimestamp) })),
      }),
    getResourceConfigHistory: (request) => client.getResourceConfigHistory(request),
  }
}

function defaultClientFactory() {
  const { KMS } = require('@aws-sdk/client-kms')
  const made = new Map()
  return (region) => {
    if (!made.has(region)) made.set(region, new KMS({ region }))
    return made.get(region)
  }
}

/** A Config rule handler over your clients: `{ clientFactory, configClient, region, ...options }`. */
function makeConfigRuleHandler(settings = {}) {
  const { clientFactory, configClient, region, ...options } = settings
  return async (event, context) => {
    const home = homeRegion({ region })
    let config = configClient
    if (config === undefined) {
      const { ConfigService } = require('@aws-sdk/client-config-service')
      config = new ConfigService({ region: home })
    }
    return native.handleConfigRule(event, configMethods(config), invocation(context, home), {
      clientFactory: clientFactory ?? defaultClientFactory(),
      regions: home ? [home] : undefined,
      ...delivery(home),
      ...options,
    })
  }
}

/**
 * An EventBridge handler over your clients: `{ clientFactory, ruleParameters, region,
 * crossAccountRoleName, serviceClientFactory, ...options }`.
 */
function makeEventHandler(settings = {}) {
  const { clientFactory, ruleParameters, region, crossAccountRoleName, serviceClientFactory, ...options } = settings
  return async (event, context) => {
    const home = homeRegion({ region })
    const otherAccounts = {
      crossAccountRoleName,
      serviceClientFactory: serviceClientFactory ?? (clientFactory ? undefined : defaultServiceClientFactory()),
    }
    // Without ruleParameters the core reads KMS_ROTATION_RULE_PARAMETERS.
    const about = invocation(context, home, ruleParameters, otherAccounts)
    return native.handleEvent(event, about, {
      clientFactory: clientFactory ?? defaultClientFactory(),
      regions: home ? [home] : undefined,
      ...delivery(home),
      ...options,
    })
  }
}

module.exports = {
  RULE_PARAMETERS_ENV: native.RULE_PARAMETERS_ENV,
  TO_SECURITY_HUB_ENV: native.TO_SECURITY_HUB_ENV,
  CROSS_ACCOUNT_ROLE_ENV: native.CROSS_ACCOUNT_ROLE_ENV,
  configRuleHandler: (event, context) => makeConfigRuleHandler()(event, context),
  eventHandler: (event, context) => makeEventHandler()(event, context),
  makeConfigRuleHandler,
  makeEventHandler,
  eventPattern: native.eventPattern,
}
