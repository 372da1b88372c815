-- Reads the form field "model" of a multipart/form-data request into dynamic metadata
-- (jairouter.model, or jairouter.error = missing_model) and makes Envoy match the route again.
-- Enabled only on the routes of multipart services (speech-to-text, image edits).
local NAMESPACE = "jairouter"

local function boundary_of(content_type)
  return string.match(content_type, '[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]="([^"]+)"')
      or string.match(content_type, '[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]=([^;%s]+)')
end

-- The value of the part named "model", or nil.
local function model_field(body, boundary)
  local delimiter = "--" .. boundary
  local position = 1
  while true do
    local start = string.find(body, delimiter, position, true)
    if not start then return nil end
    local headers_start = start + #delimiter
    if string.sub(body, headers_start, headers_start + 1) == "--" then return nil end
    local headers_end = string.find(body, "\r\n\r\n", headers_start, true)
    if not headers_end then return nil end
    local next_part = string.find(body, "\r\n" .. delimiter, headers_end + 4, true)
    if not next_part then return nil end
    local headers = string.lower(string.sub(body, headers_start, headers_end))
    if string.find(headers, '[;%s]name="model"') then
      return string.sub(body, headers_end + 4, next_part - 1)
    end
    position = next_part + 2
  end
end

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
      model = model_field(body:getBytes(0, body:length()), boundary)
    end
  end
  -- Wrappers taken before body() are dead after it yields: fetch the metadata only now.
  local metadata = handle:streamInfo():dynamicMetadata()
  if boundary == nil then
    metadata:set(NAMESPACE, "error", "invalid_body")
  elseif model == nil or model == "" then
    metadata:set(NAMESPACE, "error", "missing_model")
  else
    metadata:set(NAMESPACE, "model", model)
  end
  handle:clearRouteCache()
end
