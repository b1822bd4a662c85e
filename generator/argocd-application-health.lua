-- Health of an argoproj.io/Application as its parent app-of-apps sees it. Argo CD stopped
-- assessing Applications in 1.8, so without this a parent's sync waves do not wait for its
-- children. Install it in argocd-cm under resource.customizations.health.argoproj.io_Application
-- (README: "Argo CD"). Stricter than the upstream example: a child that reports Healthy but is not
-- yet Synced to the parent's revision still holds the wave (some Argo CD 3.x releases report a
-- child with a missing resource as Healthy).
local hs = { status = "Progressing", message = "waiting for the Application to report health" }
if obj.status == nil or obj.status.health == nil or obj.status.health.status == nil then
  return hs
end
hs.status = obj.status.health.status
hs.message = obj.status.health.message or ""
if hs.status == "Healthy" then
  local sync = obj.status.sync
  if sync == nil or sync.status ~= "Synced" then
    hs.status = "Progressing"
    hs.message = "healthy, but not yet synced"
  end
end
return hs
