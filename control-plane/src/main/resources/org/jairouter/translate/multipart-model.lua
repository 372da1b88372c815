-- Reads the form field "model" of a multipart/form-data request into dynamic metadata
-- (jairouter.model, or jairouter.error = missing_model) and makes Envoy match the route again.
-- Enabled only on the routes of multipart services (speech-to-text, image edits). Runs after
-- multipart-fields.lua.
local NAMESPACE = "{{METADATA_NAMESPACE}}"

function envoy_on_request(handle)
  local content_type = handle:headers():get("content-type") or ""
  local boundary = nil
  if string.find(string.lower(content_type), "^%s*multipart/form%-data") then
    boundary = boundary_of(content_type)
  end
  local model = nil
  if boundary ~= nil then
    -- Buffers the whole body, bounded by the listener's buffer limit (413 beyond it).
    local body = handle:body()
    if body ~= nil and body:length() > 0 then
      local bytes = body:getBytes(0, body:length())
      local first, last = model_field_span(bytes, boundary)
      if first ~= nil then
        model = string.sub(bytes, first, last)
      end
    end
  end
  -- Wrappers taken before body() are dead after it yields: fetch the metadata only now.
  local metadata = handle:streamInfo():dynamicMetadata()
  if boundary == nil then
    metadata:set(NAMESPACE, "{{ERROR_KEY}}", "{{INVALID_BODY}}")
  elseif model == nil or model == "" then
    metadata:set(NAMESPACE, "{{ERROR_KEY}}", "{{MISSING_MODEL}}")
  else
    metadata:set(NAMESPACE, "{{MODEL_KEY}}", model)
  end
  handle:clearRouteCache()
end
