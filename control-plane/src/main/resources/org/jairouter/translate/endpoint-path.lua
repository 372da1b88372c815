-- Upstream filter of clusters whose instances have different paths. Runs after Envoy has chosen the
-- instance (and again on each retry): replaces the path with that instance's own, keeping the query.
-- The paths come from the instance's endpoint metadata, copied into private headers just before: the
-- service path into PATH_HEADER, each other API's into PATH_HEADER-<api>. The route of another API names
-- it in API_HEADER.
local HEADER = "{{PATH_HEADER}}"
local API_HEADER = "{{API_HEADER}}"

function envoy_on_request(handle)
  local headers = handle:headers()
  local api = headers:get(API_HEADER)
  local path = headers:get(api and (HEADER .. "-" .. api) or HEADER)
  if path ~= nil and path ~= "" then
    local original = headers:get(":path") or "/"
    local query = string.find(original, "?", 1, true)
    if query then
      path = path .. string.sub(original, query)
    end
    headers:replace(":path", path)
  end
  -- Headers cannot be removed while they are iterated.
  local private = {}
  for name, _ in pairs(headers) do
    if string.sub(name, 1, #HEADER) == HEADER then
      private[#private + 1] = name
    end
  end
  for _, name in ipairs(private) do
    headers:remove(name)
  end
  headers:remove(API_HEADER)
end
