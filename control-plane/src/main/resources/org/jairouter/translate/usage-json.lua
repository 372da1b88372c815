-- Reads the usage object of a JSON response without holding the body back: every chunk goes on to
-- the client at once, and only the body's last few KiB are kept, where OpenAI-style servers (and
-- Responses and Anthropic's Messages) put "usage". A key in a JSON text can never be inside a string
-- (its quotes would be escaped), so a plain search of the tail finds the object's keys.
local TAIL_BYTES = 8192
local NAMESPACE = "{{USAGE_NAMESPACE}}"

local function count(usage, key)
  local value = string.match(usage, '"' .. key .. '"%s*:%s*(%d+)')
  return value and tonumber(value)
end

function envoy_on_response(handle)
  local content_type = handle:headers():get("content-type") or ""
  if string.find(string.lower(content_type), "application/json", 1, true) ~= 1 then
    return
  end
  local tail = ""
  for chunk in handle:bodyChunks() do
    local length = chunk:length()
    local take = math.min(length, TAIL_BYTES)
    tail = string.sub(tail .. chunk:getBytes(length - take, take), -TAIL_BYTES)
  end
  local usage = string.match(tail, '"usage"%s*:%s*(%b{})')
  if usage == nil then
    return
  end
  -- OpenAI's shape (prompt/completion_tokens), Responses' and Anthropic's (input/output_tokens; the quotes
  -- keep Anthropic's cache_read_input_tokens out); embeddings and rerank count only input, total_tokens
  -- where that is all there is.
  local input = count(usage, "prompt_tokens") or count(usage, "input_tokens") or count(usage, "total_tokens")
  local output = count(usage, "completion_tokens") or count(usage, "output_tokens")
  local metadata = handle:streamInfo():dynamicMetadata()
  if input then
    metadata:set(NAMESPACE, "{{INPUT_TOKENS}}", input)
  end
  if output then
    metadata:set(NAMESPACE, "{{OUTPUT_TOKENS}}", output)
  end
end
