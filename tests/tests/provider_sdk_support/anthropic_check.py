"""Anthropic's official Python SDK against the mock's Messages API.

Usage: python anthropic_check.py <mock root URL>

The Rust test scripts the mock's replies in the order of the calls below.
Every assert names what the SDK failed to read; the last line is `ok`.
"""

import sys

import anthropic
from anthropic.types import Message, TextBlock, ToolUseBlock

BASE = sys.argv[1]
MODEL = "claude-sonnet-4-5"
HI = [{"role": "user", "content": "hi"}]
WEATHER = [{
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}]

client = anthropic.Anthropic(api_key="sk-ant-test", base_url=BASE, max_retries=0)

# 1. A plain answer.
message = client.messages.create(model=MODEL, max_tokens=64, messages=HI)
assert isinstance(message, Message), type(message)
assert isinstance(message.content[0], TextBlock), message.content
assert message.content[0].text == "Hello from the mock", message.content
assert message.stop_reason == "end_turn", message.stop_reason
assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 5), message.usage
assert message.model == MODEL, message.model

# 2. A streamed answer: text deltas in order, usage at the end.
with client.messages.stream(model=MODEL, max_tokens=64, messages=HI) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
assert text == "Hello there", text
assert final.stop_reason == "end_turn", final.stop_reason
assert (final.usage.input_tokens, final.usage.output_tokens) == (7, 3), final.usage

# 3. A tool call.
message = client.messages.create(model=MODEL, max_tokens=64, messages=HI, tools=WEATHER)
block = message.content[0]
assert isinstance(block, ToolUseBlock), message.content
assert (block.name, block.input) == ("get_weather", {"city": "Paris"}), block
assert block.id.startswith("toolu_"), block.id
assert message.stop_reason == "tool_use", message.stop_reason

# 4. A streamed tool call: the arguments arrive as input_json_delta.
with client.messages.stream(model=MODEL, max_tokens=64, messages=HI, tools=WEATHER) as stream:
    final = stream.get_final_message()
block = final.content[0]
assert isinstance(block, ToolUseBlock), final.content
assert (block.name, block.input) == ("get_weather", {"city": "Paris"}), block
assert final.stop_reason == "tool_use", final.stop_reason

# 5. An error reply: the SDK's typed error, with Anthropic's error type.
try:
    client.messages.create(model=MODEL, max_tokens=64, messages=HI)
    raise AssertionError("a 429 must raise")
except anthropic.RateLimitError as error:
    assert error.status_code == 429, error.status_code
    assert error.body["error"]["type"] == "rate_limit_error", error.body
    assert "slow down" in error.message, error.message

# 6. An overloaded reply (529).
try:
    client.messages.create(model=MODEL, max_tokens=64, messages=HI)
    raise AssertionError("a 529 must raise")
except anthropic.APIStatusError as error:
    assert error.status_code == 529, error.status_code
    assert error.body["error"]["type"] == "overloaded_error", error.body

# 7. The other credential form: an auth token sent as a bearer token.
bearer = anthropic.Anthropic(auth_token="sk-ant-token", base_url=BASE, max_retries=0)
message = bearer.messages.create(model=MODEL, max_tokens=64, messages=HI)
assert message.content[0].text == "Hello from the mock", message.content

print("ok")
