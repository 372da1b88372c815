-- Reads the model a custom service's requests name in a query parameter or a header (MODEL_SOURCE,
-- MODEL_NAME) into dynamic metadata (jairouter.model, or jairouter.error = missing_model) and makes Envoy
-- match the route again, as the body readers do. No body is read. Enabled only on that service's routes,
-- each source by its own named script.
local NAMESPACE = "{{METADATA_NAMESPACE}}"
local SOURCE = "{{MODEL_SOURCE}}"
local NAME = "{{MODEL_NAME}}"

local function unescape(text)
  text = string.gsub(text, "+", " ")
  return (string.gsub(text, "%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

-- The first value of the query parameter NAME, decoded, or nil.
local function query_value(path)
  local query = string.match(path, "%?(.*)$")
  if query == nil then
    return nil
  end
  for pair in string.gmatch(query, "[^&]+") do
    local key, value = string.match(pair, "^([^=]*)=?(.*)$")
    if unescape(key) == NAME then
      return unescape(value)
    end
  end
  return nil
end

function envoy_on_request(handle)
  local headers = handle:headers()
  local model
  if SOURCE == "header" then
    model = headers:get(NAME)
  else
    model = query_value(headers:get(":path") or "")
  end
  local metadata = handle:streamInfo():dynamicMetadata()
  if model == nil or model == "" or #model > {{MAX_MODEL_NAME}} then
    metadata:set(NAMESPACE, "{{ERROR_KEY}}", "{{MISSING_MODEL}}")
  else
    metadata:set(NAMESPACE, "{{MODEL_KEY}}", model)
  end
  handle:clearRouteCache()
end
