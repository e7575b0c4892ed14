-- Argo CD health of a GdprMonitoring (monitoring.gdpr.io/v1alpha1), from its status:
--
--   Healthy      Ready=True, and status.observedGeneration equals metadata.generation.
--   Progressing  no status or no Ready condition yet; the current generation not observed
--                yet (a new spec is on its way, whatever the old status said); Ready=False
--                with reason ChecksFailing under managementPolicy Enforce (the operator is
--                repairing: the drift goes on its next pass, and what follows from a repair
--                gets 15 minutes); any other reason, or Ready=Unknown (transient:
--                throttling, timeouts, AWS unreachable, checks not evaluated).
--   Degraded     Ready=False with a terminal reason that only a human can fix:
--                AccountNotBound, AccountNotFound, InvalidSpec, CredentialsUnavailable,
--                AccessDenied; under Enforce, NotRepairable (observe-only audit checks,
--                whenOtherProfileAttached: Report, logs that do not arrive with no repair
--                left to wait on) and RepairFailed (a repair was tried and failed); or
--                ChecksFailing under managementPolicy Observe (the default), where nothing
--                will repair the estate.
--
-- The message is the Ready condition's message (prefixed with its reason when not Healthy).
local hs = {}

local terminal = {
  AccountNotBound = true,
  AccountNotFound = true,
  InvalidSpec = true,
  CredentialsUnavailable = true,
  AccessDenied = true,
  NotRepairable = true,
  RepairFailed = true,
}

local function readyCondition(status)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      return condition
    end
  end
  return nil
end

local generation = obj.metadata and obj.metadata.generation
local status = obj.status
local ready = readyCondition(status)

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end

if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration ~= generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for generation " .. tostring(generation) .. " to be reconciled (observed " ..
    tostring(status.observedGeneration or "none") .. ")"
  return hs
end

local message = ready.message or ""
local reason = ready.reason or ""

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end

if ready.status == "False" and terminal[reason] then
  hs.status = "Degraded"
elseif ready.status == "False" and reason == "ChecksFailing" then
  local policy = (obj.spec and obj.spec.managementPolicy) or "Observe"
  if policy == "Enforce" then
    hs.status = "Progressing"
  else
    hs.status = "Degraded"
  end
else
  hs.status = "Progressing"
end
if reason ~= "" then
  hs.message = reason .. ": " .. message
else
  hs.message = message
end
return hs
