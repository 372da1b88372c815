-- Shared by the Lua filters that read or rewrite a multipart/form-data body; prepended to their scripts.
-- MODEL_FIELD is the form field that names the model: "model", or a custom service's own.
local MODEL_FIELD = "{{MODEL_FIELD}}"
local MODEL_FIELD_PATTERN = '[;%s]name="' .. string.gsub(string.lower(MODEL_FIELD), "%p", "%%%0") .. '"'

local function boundary_of(content_type)
  return string.match(content_type, '[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]="([^"]+)"')
      or string.match(content_type, '[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]=([^;%s]+)')
end

-- Where the value of the part named MODEL_FIELD starts and ends in the body, or nil.
local function model_field_span(body, boundary)
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
    if string.find(headers, MODEL_FIELD_PATTERN) then
      return headers_end + 4, next_part - 1
    end
    position = next_part + 2
  end
end
