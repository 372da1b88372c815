local NAMESPACE = "{{PREFIX_NAMESPACE}}"
local KEY = "{{PREFIX_METADATA_KEY}}"
local FIRST_BYTES = {{PREFIX_FIRST_BYTES}}
local HEAD_BYTES = {{PREFIX_HEAD_BYTES}}
local KEY_BYTES = {{PREFIX_KEY_BYTES}}
-- Prefix affinity's key (the constants above are PromptPrefixKey.java's): a short text that stays the same
-- as a conversation grows and differs between conversations, put in the request's dynamic metadata for
-- the ring's hash. Chat: the messages from their start to the end of the first user message (the system
-- prompt and the first question, what every later turn resends first), and so for a Responses `input`
-- list. Completions, and a Responses `input` text: their first KEY_BYTES. Only the body's first
-- FIRST_BYTES are copied into Lua (HEAD_BYTES when the first user message ends later), and they are
-- searched with plain finds, which run in C: the cost does not grow with the conversation.

-- The index of the quote closing a JSON string whose text starts at `from`; nil past the text. Plain
-- finds only (a pattern or character class would test the text byte by byte in Lua's matcher).
local function string_end(text, from)
  while true do
    local at = string.find(text, '"', from, true)
    if at == nil then return nil end
    local before = at - 1
    while string.byte(text, before) == 92 do before = before - 1 end
    if (at - 1 - before) % 2 == 0 then return at end -- not escaped: an even run of backslashes before it
    from = at + 1
  end
end

-- The index of the first closing brace after `from` that is outside a string: the end of the message
-- the scan is in, or of a part of its content; either way a point every later turn resends unchanged.
local function message_end(text, from)
  while true do
    local quote = string.find(text, '"', from, true)
    local brace = string.find(text, '}', from, true)
    if brace ~= nil and (quote == nil or brace < quote) then return brace end
    if quote == nil then return nil end
    local close = string_end(text, quote + 1)
    if close == nil then return nil end
    from = close + 1
  end
end

-- Where the Responses API's `input` is a list of messages (not a text): the same key as chat's.
local function input_list(text)
  local input = string.find(text, '"input"', 1, true)
  if input == nil then return nil end
  local list = string.find(text, '[', input + 7, true)
  local quote = string.find(text, '"', input + 7, true)
  if list ~= nil and (quote == nil or list < quote) then return input end
  return nil
end

-- From the messages' start to the end of the first user message; nil, true when the messages are there
-- but that end is not. `whole_head` takes the whole head from the messages on instead: when the end lies
-- past the head of a longer body, all of the head is the conversation's beginning.
local function chat_span(text, whole_head)
  local messages = string.find(text, '"messages"', 1, true) or input_list(text)
  if messages == nil then return nil, false end
  local user = string.find(text, '"user"', messages, true)
  local stop = user and message_end(text, user + 6)
  if stop == nil then
    if not whole_head then return nil, true end
    stop = #text
  end
  return messages, stop
end

-- Completions' `prompt`, or the Responses API's `input` when it is a text.
local function completion_span(text)
  local prompt = string.find(text, '"prompt"', 1, true) or string.find(text, '"input"', 1, true)
  if prompt == nil then return nil end
  return prompt, math.min(#text, prompt + KEY_BYTES)
end

-- A long span is known by its two ends and its length, so that the key stays short.
local function key_of(text, first, last)
  if last - first < KEY_BYTES then return string.sub(text, first, last) end
  local half = KEY_BYTES / 2
  return string.sub(text, first, first + half) .. string.sub(text, last - half, last) .. (last - first)
end

-- The span of the key in the body's first `bytes`, or nil; `last_try` accepts a head without the end
-- (and a prompt found in a head cut short, whose messages may come later).
local function span(body, length, bytes, last_try)
  local text = body:getBytes(0, math.min(length, bytes))
  local first, last = chat_span(text, last_try and length > bytes)
  if first == nil and last == false and (last_try or length <= bytes) then first, last = completion_span(text) end
  return text, first, last
end

function envoy_on_request(handle)
  local body = handle:body()
  if body == nil then return end
  local length = body:length()
  if length == 0 then return end
  -- Most conversations begin within the first kilobytes: copy those alone first.
  local text, first, last = span(body, length, FIRST_BYTES, false)
  if first == nil and length > FIRST_BYTES then text, first, last = span(body, length, HEAD_BYTES, true) end
  if first ~= nil then
    handle:streamInfo():dynamicMetadata():set(NAMESPACE, KEY, key_of(text, first, last))
  end
end
