"""OpenAI's official Python SDK against the mock, in three modes: OpenAI's
own API, Azure OpenAI (AzureOpenAI client) and Google's OpenAI-compatible
endpoint for Gemini.

Usage: python openai_check.py openai|azure|gemini <base URL>

The Rust test scripts the mock's replies in the order of the calls below.
Every assert names what the SDK failed to read; the last line is `ok`.
"""

import json
import sys

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

MODE, BASE = sys.argv[1], sys.argv[2]
HI = [{"role": "user", "content": "hi"}]
WEATHER = [{"type": "function", "function": {
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}}]

if MODE == "azure":
    client = openai.AzureOpenAI(api_key="azure-test", azure_endpoint=BASE,
                                api_version="2024-10-21", max_retries=0)
    MODEL = "gpt-4o-prod"  # the deployment
elif MODE == "gemini":
    client = openai.OpenAI(api_key="AIza-test", base_url=BASE, max_retries=0)
    MODEL = "gemini-2.5-flash"
else:
    client = openai.OpenAI(api_key="sk-test", base_url=BASE, max_retries=0)
    MODEL = "gpt-4o-mini"

# 1. A plain answer.
completion = client.chat.completions.create(model=MODEL, messages=HI)
assert isinstance(completion, ChatCompletion), type(completion)
choice = completion.choices[0]
assert choice.message.content == "Hello from the mock", choice.message
assert choice.finish_reason == "stop", choice.finish_reason
assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 5), completion.usage
if MODE == "azure":
    filters = choice.model_extra.get("content_filter_results")
    assert filters and filters["hate"]["filtered"] is False, choice.model_extra

# 2. A streamed answer with usage at the end.
stream = client.chat.completions.create(model=MODEL, messages=HI, stream=True,
                                        stream_options={"include_usage": True})
chunks = list(stream)
assert all(isinstance(c, ChatCompletionChunk) for c in chunks), chunks
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
assert text == "Hello there", text
finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
assert finishes == ["stop"], finishes
assert chunks[-1].usage is not None, chunks[-1]
assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (7, 3), chunks[-1].usage

# 3. A tool call.
completion = client.chat.completions.create(model=MODEL, messages=HI, tools=WEATHER)
choice = completion.choices[0]
call = choice.message.tool_calls[0]
assert call.type == "function" and call.function.name == "get_weather", call
assert json.loads(call.function.arguments) == {"city": "Paris"}, call
assert choice.finish_reason == "tool_calls", choice.finish_reason

# 4. A streamed tool call: name first, arguments after.
stream = client.chat.completions.create(model=MODEL, messages=HI, tools=WEATHER, stream=True)
name, arguments, finishes = "", "", []
for chunk in stream:
    for choice in chunk.choices:
        for call in choice.delta.tool_calls or []:
            assert call.index == 0, call
            name += call.function.name or ""
            arguments += call.function.arguments or ""
        if choice.finish_reason:
            finishes.append(choice.finish_reason)
assert name == "get_weather", name
assert json.loads(arguments) == {"city": "Paris"}, arguments
assert finishes == ["tool_calls"], finishes

# 5. An error reply: the SDK's typed error.
try:
    client.chat.completions.create(model=MODEL, messages=HI)
    raise AssertionError("a 429 must raise")
except openai.RateLimitError as error:
    assert error.status_code == 429, error.status_code
    assert "slow down" in str(error), error

print("ok")
