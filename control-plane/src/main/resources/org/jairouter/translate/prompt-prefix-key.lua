-- Prefix affinity's key (PromptPrefixKey.java prepends the constants): a short text that stays the same
-- as a conversation grows and differs between conversations, put in the request's dynamic metadata for
-- the ring's hash. Chat: the messages from their start to the end of the first user message (the system
-- prompt and the first question, what every later turn resends first). Completions: the prompt's first
-- KEY_BYTES. Only the body's first HEAD_BYTES are copied into Lua, and they are searched with plain and
-- character-class finds, which run in C: the cost does not grow with the conversation.

-- The index of the quote closing a JSON string whose text starts at `from`; nil past the text.
local function string_end(text, from)
  while true do
    local at = string.find(text, '[\\"]', from)
    if at == nil then return nil end
    if string.byte(text, at) == 34 then return at end
    from = at + 2 -- an escape: the next character is part of the string
  end
end

-- The index of the brace closing the object a scan at `from` (outside any string) is inside of.
local function object_end(text, from)
  local depth = 0
  while true do
    local at = string.find(text, '[{}"]', from)
    if at == nil then return nil end
    local c = string.byte(text, at)
    if c == 34 then
      local close = string_end(text, at + 1)
      if close == nil then return nil end
      from = close + 1
    elseif c == 123 then
      depth = depth + 1
      from = at + 1
    elseif depth == 0 then
      return at
    else
      depth = depth - 1
      from = at + 1
    end
  end
end

-- From the messages' start to the end of the first user message. When that end lies past the head of a
-- longer body, the whole head from the messages on: all of it is the conversation's beginning.
local function chat_span(text, truncated)
  local messages = string.find(text, '"messages"', 1, true)
  if messages == nil then return nil end
  local user = string.find(text, '"user"', messages, true)
  local stop = user and object_end(text, user + 6)
  if stop == nil then
    if not truncated then return nil end
    stop = #text
  end
  return messages, stop
end

local function completion_span(text)
  local prompt = string.find(text, '"prompt"', 1, true)
  if prompt == nil then return nil end
  return prompt, math.min(#text, prompt + KEY_BYTES)
end

-- A long span is known by its two ends and its length, so that the key stays short.
local function key_of(text, first, last)
  if last - first < KEY_BYTES then return string.sub(text, first, last) end
  local half = KEY_BYTES / 2
  return string.sub(text, first, first + half) .. string.sub(text, last - half, last) .. (last - first)
end

function envoy_on_request(handle)
  local body = handle:body()
  if body == nil then return end
  local length = body:length()
  if length == 0 then return end
  local text = body:getBytes(0, math.min(length, HEAD_BYTES))
  local first, last = chat_span(text, length > HEAD_BYTES)
  if first == nil then first, last = completion_span(text) end
  if first ~= nil then
    handle:streamInfo():dynamicMetadata():set(NAMESPACE, KEY, key_of(text, first, last))
  end
end
