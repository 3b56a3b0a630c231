"""Google's official Gen AI SDK (google-genai) against the mock's native
Gemini API.

Usage: python gemini_check.py <mock root URL> <api version: v1beta | v1>

The Rust test scripts the mock's replies in the order of the calls below.
Every assert names what the SDK failed to read; the last line is `ok`.
"""

import sys

from google import genai
from google.genai import errors, types

BASE, VERSION = sys.argv[1], sys.argv[2]
MODEL = "gemini-2.5-flash"
WEATHER = types.Tool(function_declarations=[types.FunctionDeclaration(
    name="get_weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)])

client = genai.Client(api_key="AIza-test",
                      http_options=types.HttpOptions(base_url=BASE, api_version=VERSION))

# 1. A plain answer.
response = client.models.generate_content(model=MODEL, contents="hi")
assert isinstance(response, types.GenerateContentResponse), type(response)
assert response.text == "Hello from the mock", response
assert response.candidates[0].finish_reason == types.FinishReason.STOP, response.candidates
usage = response.usage_metadata
assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (12, 5, 17), usage

# 2. A streamed answer (SSE), usage on the last chunk.
chunks = list(client.models.generate_content_stream(model=MODEL, contents="hi"))
assert all(isinstance(c, types.GenerateContentResponse) for c in chunks), chunks
text = "".join(c.text or "" for c in chunks)
assert text == "Hello there", text
assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP, chunks[-1]
usage = chunks[-1].usage_metadata
assert (usage.prompt_token_count, usage.candidates_token_count) == (7, 3), usage

# 3. A function call.
config = types.GenerateContentConfig(
    tools=[WEATHER],
    automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
)
response = client.models.generate_content(model=MODEL, contents="hi", config=config)
calls = response.function_calls
assert calls and calls[0].name == "get_weather", response
assert calls[0].args == {"city": "Paris"}, calls[0]

# 4. A streamed function call.
chunks = list(client.models.generate_content_stream(model=MODEL, contents="hi", config=config))
calls = [call for c in chunks for call in (c.function_calls or [])]
assert len(calls) == 1 and calls[0].name == "get_weather", chunks
assert calls[0].args == {"city": "Paris"}, calls[0]

# 5. An error reply: the SDK's typed error with Google's status name.
try:
    client.models.generate_content(model=MODEL, contents="hi")
    raise AssertionError("a 429 must raise")
except errors.ClientError as error:
    assert error.code == 429, error.code
    assert error.status == "RESOURCE_EXHAUSTED", error.status
    assert "slow down" in error.message, error.message

print("ok")
