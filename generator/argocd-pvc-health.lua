-- Health of a PersistentVolumeClaim. Argo CD's built-in check calls every claim that is not Bound
-- Progressing. A claim that only a CronJob or Job mounts, on a WaitForFirstConsumer storage
-- class, stays Pending until the first run (the nightly backup: up to a day), which would hold its
-- Application and every later sync wave. The render marks such claims with the annotation
-- online-boutique-gitops/binds-on-first-run; only those are Healthy while Pending. Install it in
-- argocd-cm under resource.customizations.health.PersistentVolumeClaim (README: "Argo CD").
local hs = { status = "Progressing", message = "waiting for the claim to be bound" }
local phase = obj.status ~= nil and obj.status.phase or nil
if phase == "Bound" then
  hs.status = "Healthy"
  hs.message = "bound"
elseif phase == "Lost" then
  hs.status = "Degraded"
  hs.message = "the claim lost its volume"
elseif phase == "Pending" then
  local annotations = obj.metadata ~= nil and obj.metadata.annotations or nil
  local firstRun = annotations ~= nil and annotations["online-boutique-gitops/binds-on-first-run"] or nil
  if firstRun ~= nil then
    hs.status = "Healthy"
    hs.message = "pending until the first run of " .. firstRun
  end
end
return hs
