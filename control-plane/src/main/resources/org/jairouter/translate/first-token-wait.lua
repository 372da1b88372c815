-- Upstream filter of the clusters of services with a first-token-timeout. Runs per try: holds an event
-- stream's response headers until its first body chunk (the first token) arrives, so that until then the
-- router has not started the response and the try's timeout can still move the request to another
-- instance. Envoy's Lua holds headers only while it waits on the whole body or on an HTTP call, so the
-- script calls the wait listener (it answers at once) and then, headers still held, waits on the first
-- chunk, which lets the headers and that chunk pass together. Any other answer passes untouched.
local WAIT = "{{FIRST_TOKEN_WAIT}}"
local CALL_HEADERS = {[":method"] = "GET", [":path"] = "/", [":authority"] = WAIT}
local CALL_TIMEOUT_MS = 1000

local function first_chunk(handle)
  for _ in handle:bodyChunks() do
    return
  end
end

function envoy_on_response(handle)
  local content_type = handle:headers():get("content-type")
  if content_type == nil or not string.find(string.lower(content_type), "text/event-stream", 1, true) then
    return
  end
  handle:httpCall(WAIT, CALL_HEADERS, nil, CALL_TIMEOUT_MS)
  -- Fails when a chunk came during the call: it was held with the headers, and both pass as the script ends.
  pcall(first_chunk, handle)
end
