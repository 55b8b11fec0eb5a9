#!/usr/bin/env python3
"""The README and the docs as tests (issue 15).

Runs the commands the documents show, as printed, against a real crdex-server
on loopback: the server is started with the README's own command
(`examples/run-server.sh`, with CRDEX_PORT / CRDEX_BUILD_DIR / CRDEX_DATA
choosing a free port, this build and a scratch directory), and every command
is taken from the Markdown itself, so the documents cannot drift from what
crdex does. The only edit made to a command is the port (and, where a doc
names a system path such as /var/lib/crdex, the scratch directory).

Usage: doc_commands_test.py CASE --source DIR --build DIR
CASE: readme_try_it | api_md_commands | rules_md_trace | cdex_md_attachments
"""

import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SAFETY_TIMEOUT = 180  # seconds; start-up may include an incremental build


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    """A port that was free a moment ago: bound on port 0, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Markdown ---------------------------------------------------------------

def section(text, title):
    """The text of the `## title` section, up to the next heading of its
    level or above (lines inside fenced blocks, such as shell comments, are
    not headings)."""
    lines = text.splitlines()
    in_fence, start, level = False, None, 0
    for i, line in enumerate(lines):
        if re.match(r"^\s*```", line):
            in_fence = not in_fence
            continue
        heading = None if in_fence else re.match(r"^(#+) (.*?)\s*$", line)
        if not heading:
            continue
        if start is None and heading.group(2) == title:
            start, level = i + 1, len(heading.group(1))
        elif start is not None and len(heading.group(1)) <= level:
            return "\n".join(lines[start:i])
    check(start is not None, f"no section '{title}'")
    return "\n".join(lines[start:])


def fenced_blocks(text, languages=("sh",)):
    """(language, body) of every fenced block, indented ones too."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if start:
            indent, language = len(start.group(1)), start.group(2)
            body = []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i][indent:] if not lines[i][:indent].strip() else lines[i])
                i += 1
            if language in languages:
                blocks.append((language, "\n".join(body)))
        i += 1
    return blocks


def without_comment(command):
    """The command without a trailing `# comment` (outside quotes)."""
    quote, i = None, 0
    while i < len(command):
        c = command[i]
        if c == "\\" and quote != "'":
            i += 2  # an escaped character
            continue
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or command[i - 1].isspace()):
            return command[:i].rstrip()
        i += 1
    return command


def shell_commands(block):
    """The commands of a shell block: continuation lines joined, comments dropped."""
    commands, current = [], ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        commands.append(without_comment(current.strip()))
        current = ""
    return commands


# --- crdex-server started the README's way ------------------------------------

class RunServer:
    """`examples/run-server.sh` (the README's command) in its own process group."""

    def __init__(self, args, command, extra_args=(), data=None):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="crdex-doc-test-")
        self.stderr = open(os.path.join(self.data, "stderr.log"), "w+")
        env = dict(os.environ, CRDEX_PORT=str(self.port), CRDEX_BUILD_DIR=args.build,
                   CRDEX_DATA=data or os.path.join(self.data, "data"))
        print(f"$ {command} {' '.join(extra_args)}   (CRDEX_PORT={self.port} CRDEX_BUILD_DIR={args.build})")
        self.process = subprocess.Popen(["bash", "-c", command + "".join(" " + a for a in extra_args)],
                                        cwd=args.source, env=env, stdout=subprocess.PIPE,
                                        stderr=self.stderr, text=True, start_new_session=True)
        self.base_url = self._wait_until_listening()

    def _wait_until_listening(self):
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.process.stdout] and lines.put(None),
                         daemon=True).start()
        deadline = time.monotonic() + SAFETY_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or time.monotonic() > deadline:
                raise Failure("examples/run-server.sh never reported 'listening on':\n" + self.errors())
            print("  | " + line.rstrip())
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
                check(url == f"http://127.0.0.1:{self.port}", f"listening on {url}, not on the port given")
                return url

    def errors(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-4000:]

    def stop(self):
        """SIGTERM to the whole process group (script and server), SIGKILL if it lingers."""
        stop_group(self.process)
        self.stderr.close()
        shutil.rmtree(self.data, ignore_errors=True)
        return self.process.returncode


def stop_group(process, grace=30):
    """SIGTERM to `process`'s whole group (children in the background too);
    SIGKILL to what is left after `grace` seconds."""
    def signal_group(number):
        try:
            os.killpg(process.pid, number)
            return True
        except ProcessLookupError:
            return False
    signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()
        if not signal_group(0):
            break
        time.sleep(0.05)
    else:
        signal_group(signal.SIGKILL)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    return process.returncode


def on_loopback_port(command, port):
    return command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")


def run_curl(command, cwd, env=None):
    """Runs a doc's curl command as printed, plus -w to learn the status: (status, body)."""
    print(f"$ {command}")
    done = subprocess.run(["bash", "-c", command + " -w '\\n%{http_code}'"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    check(done.returncode == 0, f"exit {done.returncode}: {done.stderr}")
    body, _, status = done.stdout.rpartition("\n")
    print(f"  -> {status} {body[:160]}{'…' if len(body) > 160 else ''}")
    return int(status), body


# --- shapes -----------------------------------------------------------------

ELLIPSIS = "…"


def matches(shown, actual, path="$"):
    """Whether `actual` has everything the doc's abridged JSON `shown` has.

    "…" stands for anything (a value, the rest of an object's members, more
    array elements), a date (YYYY-MM-DD) for any date (the decision date is
    the day of the call); an array's shown elements must each match some
    element. Returns None, or where the first difference is."""
    if shown == ELLIPSIS:
        return None
    if isinstance(shown, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", shown):
        ok = isinstance(actual, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", actual)
        return None if ok else f"{path}: expected a date, got {json.dumps(actual)[:80]}"
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {json.dumps(actual)[:80]}"
        for key, value in shown.items():
            if key == ELLIPSIS:
                continue
            if key not in actual:
                return f"{path}.{key}: missing"
            problem = matches(value, actual[key], f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return f"{path}: expected an array"
        for i, value in enumerate(shown):
            if value == ELLIPSIS:
                continue
            problems = [matches(value, element, f"{path}[{i}]") for element in actual]
            if all(problems):
                return f"{path}[{i}]: no element matches (closest: {min(problems, key=len)})"
        return None
    return None if shown == actual else f"{path}: shown {json.dumps(shown)}, got {json.dumps(actual)[:80]}"


# --- cases ------------------------------------------------------------------

def readme_try_it(args):
    readme = open(os.path.join(args.source, "README.md")).read()
    setup = [c for _, b in fenced_blocks(section(readme, "Set up (Debian 12)")) for c in shell_commands(b)]
    run_command = next(c for c in setup if "run-server" in c)
    check(run_command == "examples/run-server.sh", f"the README's run command is now {run_command!r}")
    try_it = section(readme, "Try it")
    curls = [c for _, b in fenced_blocks(try_it) for c in shell_commands(b) if c.startswith("curl ")]
    check(len(curls) >= 2, "the Try it section shows fewer than two curl commands")
    answer_shown = json.loads(fenced_blocks(try_it, ("json",))[0][1])

    server = RunServer(args, run_command)
    try:
        for curl in curls:
            status, body = run_curl(on_loopback_port(curl, server.port), args.source)
            check(status == 200, f"status {status}: {body[:300]}")
            answer = json.loads(body)
            if curl.rstrip().endswith("/cds-services"):
                services = answer.get("services", [])
                check(services, "discovery lists no services")
                ids = {s.get("id") for s in services}
                # The services the README's HTTP API table says discovery lists.
                row = next(l for l in readme.splitlines() if l.startswith("| `GET /cds-services` |"))
                named = re.findall(r"`(crdex-[a-z-]+)`", row)
                check(named, "the README's discovery row names no service")
                check(set(named) == ids, f"the README names {sorted(named)}, discovery lists {sorted(ids)}")
                for service in services:
                    check(service.get("hook") and service.get("description"), f"service without hook: {service}")
            else:
                problem = matches(answer_shown, answer)
                check(problem is None, f"the answer differs from the README's: {problem}")
                # The card the README shows is the prior-auth card of the order it names.
                check(len(answer["systemActions"]) >= 2, "one coverage-information update per draft order")
        # "examples/requests/appointment-book.json does the same for crdex-appointment-book."
        check("`examples/requests/appointment-book.json` does the same for `crdex-appointment-book`" in try_it,
              "the README's appointment-book sentence changed")
        service_call = next(c for c in curls if "order-sign" in c)
        booked = on_loopback_port(service_call, server.port).replace(
            "order-sign.json", "appointment-book.json").replace("crdex-order-sign", "crdex-appointment-book")
        status, body = run_curl(booked, args.source)
        check(status == 200, f"appointment-book: status {status}: {body[:300]}")
        check(json.loads(body).get("systemActions"), "appointment-book: no coverage information")
    except Exception:
        print(server.errors(), file=sys.stderr)
        raise
    finally:
        check(server.stop() == 0, "crdex-server did not exit 0 on SIGTERM")


def blocks_of(args, document, heading=None):
    text = open(os.path.join(args.source, "docs", document)).read()
    return [c for _, b in fenced_blocks(section(text, heading) if heading else text) for c in shell_commands(b)]


def run_doc_commands(commands, port, cwd, env):
    """Runs a doc block's commands in order: `NAME=$(…)` assignments are
    evaluated into the environment of the commands after them; each curl
    must answer 2xx with a JSON body. Returns the (status, JSON) answers."""
    answers = []
    for command in commands:
        command = on_loopback_port(command, port)
        assignment = re.match(r"^([A-Z_]+)=(.*)$", command)
        if assignment:
            print(f"$ {command}")
            done = subprocess.run(["bash", "-c", f'{command}; printf %s "${assignment.group(1)}"'], cwd=cwd,
                                  env=env, capture_output=True, text=True, timeout=60)
            check(done.returncode == 0 and done.stdout, f"{command}: {done.stderr}")
            env[assignment.group(1)] = done.stdout
            continue
        check(command.startswith("curl "), f"not a curl command: {command}")
        status, body = run_curl(command, cwd, env)
        check(200 <= status < 300, f"status {status}: {body[:300]}")
        answers.append((status, json.loads(body)))
    return answers


def api_md_commands(args):
    """docs/api.md: a publisher token issued with crdex-rules, the example
    publishing session with it, and the admin audit query."""
    work = tempfile.mkdtemp(prefix="crdex-doc-api-")
    server = None
    try:
        env = dict(os.environ, PATH=os.path.join(args.build, "bin") + os.pathsep + os.environ["PATH"])
        shutil.copy(os.path.join(args.source, "examples/rules/acme-health-plan.json"), work)
        with open(os.path.join(work, "admin.token"), "w") as token:
            token.write(os.urandom(16).hex() + "\n")
        data = os.path.join(work, "data")
        commands = blocks_of(args, "api.md")
        issue = next(c for c in commands if c.startswith("crdex-rules issue-token"))
        issue = issue.replace("/var/lib/crdex", data)
        print(f"$ {issue}")
        # Before the server starts: the token is in the store it opens.
        os.makedirs(data)
        done = subprocess.run(["bash", "-c", issue], cwd=work, env=env, capture_output=True, text=True, timeout=60)
        check(done.returncode == 0, f"crdex-rules issue-token: exit {done.returncode}: {done.stderr}{done.stdout}")
        server = RunServer(args, "examples/run-server.sh", ["--admin-token-file", os.path.join(work, "admin.token")],
                           data=data)
        session = blocks_of(args, "api.md", "Example session")
        answers = run_doc_commands(session, server.port, work, env)
        check([status for status, _ in answers] == [201, 200, 200], f"statuses {[s for s, _ in answers]}")
        published, versions, rolled_back = (answer for _, answer in answers)
        check(published.get("comment") == "add sleep studies" and published.get("current"), f"PUT: {published}")
        check(versions["versions"][0]["version"] == published["version"], f"versions: {versions}")
        check(rolled_back.get("version") == 1 and rolled_back.get("current"), f"rollback: {rolled_back}")
        audit = [c for c in commands if "/admin/audit?" in c]
        check(audit, "docs/api.md shows no /admin/audit query")
        run_doc_commands(audit, server.port, work, env)
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def rules_md_trace(args):
    """docs/rules.md's worked example: its own crdex-server in the background,
    then the traced call piped through jq; every rule of the doc's table is
    in the trace."""
    text = open(os.path.join(args.source, "docs/rules.md")).read()
    example = section(text, "The worked example")
    block = next(b for _, b in fenced_blocks(example) if "crdex-server" in b)
    port = free_port()
    scratch = tempfile.mkdtemp(prefix="crdex-doc-rules-")
    script = (block.replace("build/dev/", args.build.rstrip("/") + "/")
              .replace("127.0.0.1:8090", f"127.0.0.1:{port}")
              .replace("/tmp/crdex-conditions", os.path.join(scratch, "data")))
    print("$ " + script.replace("\n", "\n$ "))
    # Files, not pipes: the server the block leaves running keeps them open.
    out_file = open(os.path.join(scratch, "stdout"), "w+")
    err_file = open(os.path.join(scratch, "stderr"), "w+")
    process = subprocess.Popen(["bash", "-c", script], cwd=args.source, stdout=out_file, stderr=err_file,
                               text=True, start_new_session=True)
    try:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise Failure("the block did not finish within 60 s")
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
        check(process.returncode == 0, f"exit {process.returncode}: {err[-2000:]}")
        # The background server's "listening on" line shares the terminal.
        out = "\n".join(l for l in out.splitlines() if not l.startswith("crdex-server listening on "))
        try:
            trace = json.loads(out)
        except ValueError:
            raise Failure(f"not JSON: {out[:300]!r}; stderr: {err[-2000:]}")
        check(isinstance(trace, list) and trace, f"no rule trace: {out[:300]}")
        printed = json.dumps(trace)
        rules = re.findall(r"^\| `([a-z0-9-]+)` \|", example, re.M)
        check(len(rules) >= 3, f"the doc's rule table lists {rules}")
        for rule in rules:
            check(f'"{rule}"' in printed, f"rule {rule} of the doc's table is not in the trace")
    finally:
        # The block leaves its server running in the background: stop the group.
        stop_group(process)
        out_file.close()
        err_file.close()
        shutil.rmtree(scratch, ignore_errors=True)


def cdex_md_attachments(args):
    """docs/cdex.md's attachments worked example: the payer on the README's
    server (8080 in the doc), the provider on a second one (8081)."""
    text = open(os.path.join(args.source, "docs/cdex.md")).read()
    example = section(text, "Worked example: unsolicited, then the claim arrives")
    commands = [c for _, b in fenced_blocks(example) for c in shell_commands(b)]
    check(len(commands) == 4, f"the worked example has {len(commands)} commands")
    payer = provider = None
    try:
        payer = RunServer(args, "examples/run-server.sh")
        # The doc's provider names examples/destinations.json (the payer on 8080): the same on the payer's port.
        destinations = os.path.join(payer.data, "destinations.json")
        with open(os.path.join(args.source, "examples/destinations.json")) as f:
            listed = f.read().replace("127.0.0.1:8080", f"127.0.0.1:{payer.port}")
        with open(destinations, "w") as f:
            f.write(listed)
        check("--destinations examples/destinations.json" in example, "the doc starts the provider with its destinations")
        provider = RunServer(args, "examples/run-server.sh", ["--destinations", destinations])
        answers = []
        for command in commands:
            command = command.replace("127.0.0.1:8081", f"127.0.0.1:{provider.port}")
            status, body = run_curl(on_loopback_port(command, payer.port), args.source)
            check(status == 200, f"status {status}: {body[:300]}")
            answers.append(json.loads(body))
        sent, claimed, listed, content = answers
        check(sent.get("payerStatus") == 200, f"outbox: {sent}")
        diagnostics = sent["payerAnswer"]["issue"][0]["diagnostics"]
        check("held for a future claim with tracking id 11234657" in diagnostics, diagnostics)
        check(claimed == {"attached": 1}, f"claims: {claimed}")
        check(listed.get("total") == 1, f"attachments?claim=C1: {listed}")
        check(content.get("resourceType") == "DocumentReference", f"content: {str(content)[:200]}")
    finally:
        for server in (provider, payer):
            if server:
                server.stop()


CASES = {"readme_try_it": readme_try_it, "api_md_commands": api_md_commands, "rules_md_trace": rules_md_trace,
         "cdex_md_attachments": cdex_md_attachments}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--source", required=True)
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    # A test runner's SIGTERM still stops the server (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        CASES[args.case](args)
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
