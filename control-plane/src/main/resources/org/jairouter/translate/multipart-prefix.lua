local PREFIX_BYTES = {{PREFIX_BYTES}}
-- Appended to multipart-fields.lua and multipart-model.lua (whose locals it uses) after a line setting PREFIX_BYTES,
-- for the filter in front of the body buffer: finds a model that comes before the file without waiting
-- for the rest of the body. Chunks pass this filter at once (bodyChunks() holds nothing back); the
-- filter after it holds the headers until PREFIX_BYTES have arrived. A model part complete within them
-- sets the model, and the request goes on to the model's route, where nothing buffers it; otherwise
-- this sets nothing and multipart-model.lua reads the whole body, as it would without this filter.
function envoy_on_request(handle)
  local content_type = handle:headers():get("content-type") or ""
  if not string.find(string.lower(content_type), "^%s*multipart/form%-data") then return end
  local boundary = boundary_of(content_type)
  if boundary == nil then return end
  local prefix = ""
  for chunk in handle:bodyChunks() do
    prefix = prefix .. chunk:getBytes(0, math.min(chunk:length(), PREFIX_BYTES - #prefix))
    local first, last = model_field_span(prefix, boundary)
    local model = first and string.sub(prefix, first, last)
    if model ~= nil and model ~= "" then
      handle:streamInfo():dynamicMetadata():set(NAMESPACE, "{{MODEL_KEY}}", model)
      handle:clearRouteCache()
      return
    end
    if #prefix >= PREFIX_BYTES then return end
  end
end
