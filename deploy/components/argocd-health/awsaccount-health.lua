-- Argo CD health of an AwsAccount (monitoring.gdpr.io/v1alpha1), from the conditions the
-- operator writes after checking the account (ExternalIdAvailable, RoleAssumed,
-- IdentityVerified, Ready):
--
--   Healthy      Ready=True, and status.observedGeneration equals metadata.generation.
--   Progressing  no status or no Ready condition yet; the current generation not checked
--                yet; Ready=Unknown (throttling, AWS unreachable, a timeout: the operator
--                checks again within seconds).
--   Degraded     Ready=False: what only a human can fix (SecretUnavailable, AccessDenied,
--                NoCredentials, AccountMismatch, ...), whatever the reason.
--
-- The message is the Ready condition's message (prefixed with its reason when not Healthy).
local hs = {}

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
  hs.message = "Waiting for the operator to check the account"
  return hs
end

if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration ~= generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for generation " .. tostring(generation) .. " to be checked (checked " ..
    tostring(status.observedGeneration or "none") .. ")"
  return hs
end

local message = ready.message or ""
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end

if ready.status == "False" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
if ready.reason ~= nil and ready.reason ~= "" then
  hs.message = ready.reason .. ": " .. message
else
  hs.message = message
end
return hs
