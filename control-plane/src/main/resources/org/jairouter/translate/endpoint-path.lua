-- Upstream filter of clusters whose instances have different paths. Runs after Envoy has chosen the
-- instance (and again on each retry): replaces the path with that instance's own, keeping the query.
-- The path comes from the instance's endpoint metadata, copied into a private header just before.
local HEADER = "{{PATH_HEADER}}"

function envoy_on_request(handle)
  local headers = handle:headers()
  local path = headers:get(HEADER)
  if path ~= nil and path ~= "" then
    local original = headers:get(":path") or "/"
    local query = string.find(original, "?", 1, true)
    if query then
      path = path .. string.sub(original, query)
    end
    headers:replace(":path", path)
  end
  headers:remove(HEADER)
end
