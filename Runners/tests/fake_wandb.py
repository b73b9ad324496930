"""A local stand-in for a W&B server, enough for `wandb sync` (wandb 0.31's wandb-core) to upload
offline runs to it: the GraphQL operations it sends (RunResumeStatus, UpsertBucket,
ServerFeaturesQuery, CreateRunFiles), the file stream that carries the history, summary, events
and console lines, and file uploads. It keeps each run's fields and lines, so that a test reads
back what a sync uploaded, and a resumed run continues from the lines it holds, as on the real server.
`status` other than 200 answers every request with that status."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler

STREAM_FILES = {"wandb-history.jsonl": "history", "wandb-events.jsonl": "events", "output.log": "logs", "wandb-summary.json": "summary"}
TAIL = 10


class FakeWandb(BaseHTTPRequestHandler):
    """Class attributes hold the state; reset() empties it."""

    runs = {}
    requests = []
    status = 200
    lock = threading.Lock()

    @classmethod
    def reset(cls, status=200):
        cls.runs, cls.requests, cls.status = {}, [], status

    def log_message(self, *arguments):
        pass

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.answer()

    def do_PUT(self):
        self.answer()

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((self.command, self.path))
            if self.status != 200:
                return self.send(self.status, {"errors": [{"message": "denied by the fake server"}]})
            if self.path.startswith("/graphql"):
                return self.send(200, {"data": self.graphql(json.loads(body))})
            match = re.fullmatch(r"/files/([^/]+)/([^/]+)/([^/]+)/file_stream", self.path)
            if match:
                self.stream(match.group(3), json.loads(body))
                return self.send(200, {"exitcode": None, "limits": {}})
            return self.send(200, {})

    def send(self, status, document):
        text = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def graphql(self, request):
        match = re.search(r"(?:query|mutation)\s+(\w+)", request.get("query", ""))
        operation, variables = (match.group(1) if match else ""), request.get("variables") or {}
        if operation == "RunResumeStatus":
            return {"model": self.model(variables.get("project"), variables.get("entity"), self.runs.get(variables.get("name")))}
        if operation == "UpsertBucket":
            run = self.runs.setdefault(variables["name"], {"history": [], "events": [], "logs": [], "summary": [], "config": {},
                                                           "display_name": None, "group": None, "tags": [], "project": None})
            for key, field in (("displayName", "display_name"), ("groupName", "group"), ("tags", "tags"), ("modelName", "project")):
                if variables.get(key):
                    run[field] = variables[key]
            run["project"] = variables.get("project") or run["project"] or "uncategorized"
            if variables.get("config"):
                run["config"].update(json.loads(variables["config"]))
            return {"upsertBucket": {"inserted": True, "bucket": self.bucket(variables["name"], run)
                                     | {"project": {"id": "project", "name": run["project"], "entity": {"id": "entity", "name": "ablate-tests"}}}}}
        if operation == "ServerFeaturesQuery":
            return {"serverInfo": {"features": []}}
        if operation == "CreateRunFiles":
            port = self.server.server_address[1]
            return {"createRunFiles": {"runID": variables["run"], "uploadHeaders": [],
                                       "files": [{"name": name, "uploadUrl": f"http://127.0.0.1:{port}/upload/{name}"} for name in variables["files"]]}}
        if operation == "Viewer":
            return {"viewer": {"id": "viewer", "entity": "ablate-tests", "username": "ablate-tests", "flags": "{}", "teams": {"edges": []}}}
        return {}

    def model(self, project, entity, run):
        if run is None:
            return None
        return {"id": "project", "name": project, "entity": {"id": "entity", "name": entity or "ablate-tests"},
                "bucket": self.bucket(None, run)}

    @staticmethod
    def bucket(name, run):
        return {"id": name or "bucket", "name": name, "displayName": run["display_name"], "summaryMetrics": run["summary"][-1] if run["summary"] else "{}",
                "logLineCount": len(run["logs"]), "historyLineCount": len(run["history"]), "eventsLineCount": len(run["events"]),
                "historyTail": json.dumps(run["history"][-TAIL:]), "eventsTail": json.dumps(run["events"][-TAIL:]),
                "config": json.dumps(run["config"]), "tags": run["tags"], "wandbConfig": json.dumps({}), "sweepName": None}

    def stream(self, name, request):
        run = self.runs.setdefault(name, {"history": [], "events": [], "logs": [], "summary": [], "config": {}, "display_name": None,
                                          "group": None, "tags": [], "project": None})
        for file, chunk in (request.get("files") or {}).items():
            field = STREAM_FILES.get(file)
            if field is None:
                continue
            lines = run[field]
            offset = chunk.get("offset", len(lines))
            del lines[offset:]
            lines.extend(chunk.get("content") or [])
