"""Calls the router with the official openai and anthropic SDKs, once per API and mode, and prints what each
call's answer said (its text and its usage) as one JSON object, for SdkEndpointsThroughEnvoyTest to compare
with what the stubs received and what /metrics counted.

Usage: sdk_calls.py ROUTER_ROOT KEY OTHER_SERVICES_KEY"""
import json
import sys

import anthropic
import openai

root, key, other_key = sys.argv[1:4]
oai = openai.OpenAI(base_url=root + "/v1", api_key=key, max_retries=0)
claude = anthropic.Anthropic(base_url=root, api_key=key, max_retries=0)
calls = {}

done = oai.completions.create(model="qwen3:1.7B", prompt="def fibonacci(n):", max_tokens=16)
calls["completions"] = [done.usage.prompt_tokens, done.usage.completion_tokens, done.choices[0].text]

text, usage = "", None
for chunk in oai.completions.create(
        model="qwen3:1.7B", prompt="SELECT name FROM", stream=True, stream_options={"include_usage": True}):
    text += "".join(choice.text for choice in chunk.choices)
    usage = chunk.usage or usage
calls["completions_stream"] = [usage.prompt_tokens, usage.completion_tokens, text]

response = oai.responses.create(model="qwen3:1.7B", input="Name three rivers.")
calls["responses"] = [response.usage.input_tokens, response.usage.output_tokens, response.output_text]

text, usage = "", None
for event in oai.responses.create(model="qwen3:1.7B", input="Name three mountains, please.", stream=True):
    if event.type == "response.output_text.delta":
        text += event.delta
    elif event.type == "response.completed":
        usage = event.response.usage
calls["responses_stream"] = [usage.input_tokens, usage.output_tokens, text]

message = claude.messages.create(
    model="qwen3:1.7B", max_tokens=64, messages=[{"role": "user", "content": "Hello there"}])
calls["messages"] = [message.usage.input_tokens, message.usage.output_tokens, message.content[0].text]

with claude.messages.stream(
        model="qwen3:1.7B", max_tokens=64, messages=[{"role": "user", "content": "Tell me about streams"}]) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
calls["messages_stream"] = [final.usage.input_tokens, final.usage.output_tokens, text]

translation = oai.audio.translations.create(model="whisper", file=("speech.wav", b"RIFF" + bytes(60), "audio/wav"))
calls["translations"] = [translation.text]

calls["retrieve"] = oai.models.retrieve("qwen3:1.7B").id
try:
    oai.models.retrieve("no-such-model")
    calls["retrieve_missing"] = "found"
except openai.NotFoundError as e:
    calls["retrieve_missing"] = [e.status_code, e.code]

try:
    anthropic.Anthropic(base_url=root, api_key=other_key, max_retries=0).messages.create(
        model="qwen3:1.7B", max_tokens=8, messages=[{"role": "user", "content": "Hi"}])
    calls["messages_other_key"] = "answered"
except anthropic.APIStatusError as e:
    calls["messages_other_key"] = [e.status_code, e.body["error"]["type"]]

print(json.dumps(calls))
