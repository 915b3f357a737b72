"""A loopback stand-in for the Anthropic Messages API, enough to drive the real Claude Code binary
(`claude -p`) through its Bash tool: the test decides what the "model" answers to each turn.

    api = FakeMessagesAPI(lambda turn: ...)   # 127.0.0.1, random free port
    env["ANTHROPIC_BASE_URL"] = api.url
    ... run claude ...
    api.tool_results()   # what the agent sent back for each tool call, in order
    api.stop()

The callback gets a Turn (the request's messages and the tool results in it) and returns
bash("command") for a Bash tool call or text("...") to end the conversation. Requests that do not
offer the Bash tool (Claude Code's side calls: titles, summaries, quota checks) get a short text.
Both the streaming (server-sent events) and the plain JSON forms of the API are spoken.
"""
import http.server
import json
import sys
import threading


def bash(command, description="run the command"):
    return {"type": "tool_use", "name": "Bash", "input": {"command": command, "description": description}}


def text(words):
    return {"type": "text", "text": words}


def tool_result_text(block):
    """The text of a tool_result block (its content is a string or a list of text blocks)."""
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


class Turn:
    """One request of the agent's main loop: its messages, and the tool results of the last one."""

    def __init__(self, body):
        self.body = body
        self.messages = body.get("messages", [])
        last = self.messages[-1] if self.messages else {}
        content = last.get("content") if isinstance(last, dict) else None
        self.tool_results = [tool_result_text(b) for b in content or [] if isinstance(b, dict) and b.get("type") == "tool_result"] \
            if isinstance(content, list) else []
        # Tool calls answered so far in the whole conversation.
        self.calls_so_far = sum(1 for m in self.messages for b in (m.get("content") if isinstance(m.get("content"), list) else [])
                                if isinstance(b, dict) and b.get("type") == "tool_result")


class FakeMessagesAPI:
    def __init__(self, respond, model="claude-sonnet-4-5"):
        self.respond = respond
        self.model = model
        self.requests = []  # (path, parsed body or None), in arrival order
        self.main_turns = []  # Turn, for the requests that offered the Bash tool
        self.lock = threading.Lock()
        self.next_id = 0
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                with api.lock:
                    api.requests.append((self.path, body))
                path = self.path.split("?")[0]
                if path.endswith("/count_tokens"):
                    return self.send_json({"input_tokens": 100})
                if not path.endswith("/v1/messages") or not isinstance(body, dict):
                    return self.send_json({})
                offers_bash = any(isinstance(t, dict) and t.get("name") == "Bash" for t in body.get("tools", []))
                if offers_bash:
                    turn = Turn(body)
                    with api.lock:
                        api.main_turns.append(turn)
                    block = api.respond(turn)
                else:
                    block = text("ok")
                api.answer(self, body, block)

            def do_GET(self):
                self.send_json({})

            do_HEAD = do_GET

            def send_json(self, obj, status=200):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # Claude Code drops kept-alive connections when it exits: not the test's business.
                if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def message_id(self):
        with self.lock:
            self.next_id += 1
            return f"msg_fake{self.next_id:04d}", f"toolu_fake{self.next_id:04d}"

    def answer(self, handler, body, block):
        msg_id, tool_id = self.message_id()
        if block["type"] == "tool_use":
            block = dict(block, id=tool_id)
        stop = "tool_use" if block["type"] == "tool_use" else "end_turn"
        usage = {"input_tokens": 100, "output_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        message = {"id": msg_id, "type": "message", "role": "assistant", "model": body.get("model", self.model),
                   "content": [block], "stop_reason": stop, "stop_sequence": None, "usage": usage}
        if not body.get("stream"):
            return handler.send_json(message)
        if block["type"] == "tool_use":
            start = dict(block, input={})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        events = [
            ("message_start", {"type": "message_start", "message": dict(message, content=[], stop_reason=None,
                                                                          usage=dict(usage, output_tokens=1))}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": start}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                               "usage": {"output_tokens": 20}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        data = "".join(f"event: {name}\ndata: {json.dumps(payload)}\n\n" for name, payload in events).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def tool_results(self):
        """The text of every tool result the agent sent back, in order."""
        with self.lock:
            turns = list(self.main_turns)
        seen, out = set(), []
        for turn in turns:
            for m in turn.messages:
                for b in m.get("content") if isinstance(m.get("content"), list) else []:
                    if isinstance(b, dict) and b.get("type") == "tool_result" and b.get("tool_use_id") not in seen:
                        seen.add(b.get("tool_use_id"))
                        out.append(tool_result_text(b))
        return out

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
