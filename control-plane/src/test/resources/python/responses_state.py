"""Calls the router's Responses API with the official openai SDK as a conversation does: creates a response,
continues it by previous_response_id (JSON, then streamed), retrieves it by id; several times, so that with
two instances the follow-ups often first meet the instance that did not make the response. Then the answers
for ids no instance stored. Prints what each call's answer said as one JSON object, for
ResponsesStateThroughEnvoyTest.

Usage: responses_state.py ROUTER_ROOT MODEL ROUNDS"""
import json
import sys

import openai

root, model, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
oai = openai.OpenAI(base_url=root + "/v1", api_key="unused", max_retries=0)
conversations = []
for n in range(rounds):
    first = oai.responses.create(model=model, input=f"Conversation {n}: name a river.")
    second = oai.responses.create(model=model, input="And a longer one?", previous_response_id=first.id)
    streamed, completed = "", None
    for event in oai.responses.create(
            model=model, input="And a third?", previous_response_id=second.id, stream=True):
        if event.type == "response.output_text.delta":
            streamed += event.delta
        elif event.type == "response.completed":
            completed = event.response
    retrieved = oai.responses.retrieve(first.id)
    conversations.append({
        "first": first.output_text,
        "second": second.output_text,
        "second_previous": second.previous_response_id == first.id,
        "streamed": streamed,
        "streamed_previous": completed.previous_response_id == second.id,
        "retrieved": retrieved.output_text,
        "retrieved_same": retrieved.id == first.id,
    })


def refusal(call):
    try:
        call()
        return "answered"
    except openai.APIStatusError as e:
        return [e.status_code, e.body]


print(json.dumps({
    "conversations": conversations,
    "unknown_previous": refusal(lambda: oai.responses.create(
        model=model, input="Hi", previous_response_id="resp_nowhere")),
    "unknown_retrieve": refusal(lambda: oai.responses.retrieve("resp_nowhere")),
    "unknown_cancel": refusal(lambda: oai.responses.cancel("resp_nowhere")),
    "finished_cancel": refusal(lambda: oai.responses.cancel(
        oai.responses.create(model=model, input="Hi").id)),
}))
