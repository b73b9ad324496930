"""An OpenAI-compatible chat endpoint for the judge's tests, served by the `fake_endpoint` fixture
(conftest.py); it records every request it answers."""

import json
import re
import time
from http.server import BaseHTTPRequestHandler


class FakeJudge(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint: prefers the output saying GOOD, else the reference
    (saying REF); answers nonsense when the post asks for garbage; /denied and /broken fail."""

    requests = []
    delay = 0  # seconds before each answer, for a test that stops a run half-way

    def do_POST(self):
        time.sleep(FakeJudge.delay)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeJudge.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body})
        if self.path.startswith("/denied"):
            return self.answer(401, {"error": {"message": "invalid api key"}})
        if self.path.startswith("/broken"):
            return self.answer(500, {"error": {"message": "overloaded"}})
        message = body["messages"][1]["content"]
        first = re.search(r'"model_1",\s*"summary": """(.*?)"""', message, re.S).group(1)
        winner = "model_1" if "GOOD" in first or ("REF" in first and "GOOD" not in message) else "model_2"
        loser = "model_2" if winner == "model_1" else "model_1"
        if "garbage" in message:
            content = "Both summaries are fine, I cannot rank them."
        elif len(FakeJudge.requests) % 2:
            content = f"[{{'model': '{winner}', 'rank': 1}}, {{'model': '{loser}', 'rank': 2}}]"
        else:
            content = f'```python\n[{{"model": "{loser}", "rank": 2}}, {{"model": "{winner}", "rank": 1}}]\n```'
        self.answer(200, {"choices": [{"message": {"role": "assistant", "content": content}}]})

    def answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *arguments):
        pass
