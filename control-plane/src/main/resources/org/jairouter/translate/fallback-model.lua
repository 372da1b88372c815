-- Upstream filter of a model's fallback cluster, after the instance is chosen (and again on each
-- retry). When the instance serves another model than the one requested (a fallback), the body's
-- model is replaced by the instance's, since a server answers 404 to a model it does not serve.
-- Requests the requested model serves pass untouched: their body is never buffered.
-- Both models arrive in private headers (header_mutation sets them just before). Runs after
-- multipart-fields.lua.
local REQUESTED = "{{REQUESTED_MODEL_HEADER}}"
local SERVED = "{{INSTANCE_MODEL_HEADER}}"

local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

-- Where the top-level "model" value (a JSON string, quotes included) starts and ends, or nil.
local function json_model_span(body)
  local depth, position, key = 0, 1, nil
  while true do
    local at, _, c = string.find(body, '(["{}%[%],:])', position)
    if not at then return nil end
    if c == '"' then
      local close = at
      repeat
        close = string.find(body, '["\\]', close + 1)
        if not close then return nil end
        local escaped = string.sub(body, close, close) == "\\"
        if escaped then close = close + 1 end
      until not escaped
      if key == "model" then return at, close end
      key = (depth == 1 and string.sub(body, at + 1, close - 1)) or nil
      position = close + 1
    else
      if c == "{" or c == "[" then depth = depth + 1 elseif c == "}" or c == "]" then depth = depth - 1 end
      if c ~= ":" then key = nil end
      position = at + 1
    end
  end
end

function envoy_on_request(handle)
  local headers = handle:headers()
  local requested, served = headers:get(REQUESTED), headers:get(SERVED)
  headers:remove(REQUESTED)
  headers:remove(SERVED)
  if served == nil or served == "" or served == requested then return end
  local content_type = string.lower(headers:get("content-type") or "")
  local boundary = boundary_of(headers:get("content-type") or "")
  local body = handle:body()
  if body == nil or body:length() == 0 then return end
  local bytes = body:getBytes(0, body:length())
  local first, last, value
  if string.find(content_type, "^%s*multipart/form%-data") and boundary ~= nil then
    first, last = model_field_span(bytes, boundary)
    value = served
  else
    first, last = json_model_span(bytes)
    value = json_string(served)
  end
  if first == nil then return end
  local rewritten = string.sub(bytes, 1, first - 1) .. value .. string.sub(bytes, last + 1)
  body:setBytes(rewritten)
  -- A chunked body has no length to correct (and must not get one beside its transfer-encoding).
  headers = handle:headers()
  if headers:get("content-length") ~= nil then
    headers:replace("content-length", tostring(#rewritten))
  end
end
