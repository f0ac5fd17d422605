"""Run notebook cells one at a time in this interpreter, for nbpipe's embedded python executor.

Standard library only. nbpipe writes one JSON request per line on fd 3 ({"code": ..., "cell": ...})
and reads JSON messages, one per line, on fd 4, shaped like Jupyter's IOPub messages:
stream, execute_result and error, then {"msg_type": "done"} after each cell. Writes to
sys.stdout/sys.stderr become stream messages; output written straight to file descriptors 1 and 2
(by subprocesses, C extensions) is captured on pipes and sent as stream messages too, in order:
before any message is sent, what is waiting on those pipes goes first. Like a kernel, the value of
a cell's last expression is reported with repr(), and a traceback stops at the cell's own frames.
The driver's own failures go to its original stderr, which nbpipe keeps in the task's log.
"""

import ast
import builtins
import codecs
import io
import json
import linecache
import os
import platform
import select
import sys
import threading
import traceback

REQUESTS_FD = 3
MESSAGES_FD = 4
DRIVER_PID = os.getpid()
# Stream text goes out in messages of at most this many characters: nbpipe reads one message per line,
# and a single huge write (print of a 500 MB string) must not become a line too long for it to hold.
STREAM_CHUNK = 1 << 20


class FdCapture:
    """Output written to fds 1 and 2 by anything (subprocesses, C code), as stream messages.

    Each fd becomes the write end of a pipe. A thread forwards what arrives; `drain` forwards what
    is waiting now. Both run under the messages lock, so a message sent after a subprocess ended
    always comes after that subprocess's output, as in Jupyter.
    """

    def __init__(self, write_message, lock):
        self._write_message = write_message
        self._lock = lock
        self._pipes = []
        for fd, name in ((1, "stdout"), (2, "stderr")):
            read_end, write_end = os.pipe()
            os.dup2(write_end, fd)
            os.close(write_end)
            os.set_blocking(read_end, False)
            self._pipes.append((read_end, name, codecs.getincrementaldecoder("utf-8")("replace")))
        threading.Thread(target=self._forward, name="nbpipe-fd-capture", daemon=True).start()

    def _forward(self):
        read_ends = [pipe[0] for pipe in self._pipes]
        while True:
            select.select(read_ends, [], [])
            with self._lock:
                self.drain()

    def drain(self):
        """Send what waits on the pipes, one message per read; the caller holds the messages lock."""
        for read_end, name, decoder in self._pipes:
            while True:
                try:
                    chunk = os.read(read_end, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                text = decoder.decode(chunk)
                if text:
                    self._write_message("stream", {"name": name, "text": text})


def main():
    os.set_inheritable(REQUESTS_FD, False)
    os.set_inheritable(MESSAGES_FD, False)
    requests = io.open(REQUESTS_FD, "r", encoding="utf-8", newline="\n")
    messages = io.open(MESSAGES_FD, "w", encoding="utf-8", newline="\n")
    driver_stderr = io.open(os.dup(2), "w", encoding="utf-8", errors="replace")
    lock = threading.Lock()

    def write_message(msg_type, content):
        messages.write(json.dumps({"msg_type": msg_type, "content": content or {}}) + "\n")
        messages.flush()

    def send(msg_type, content=None):
        with lock:
            capture.drain()
            write_message(msg_type, content)

    capture = FdCapture(write_message, lock)
    try:
        serve(requests, send)
    except BaseException:  # noqa: B902 - report the driver's own failure where nbpipe logs it
        traceback.print_exc(file=driver_stderr)
        driver_stderr.flush()
        os._exit(1)


def serve(requests, send):
    class Stream(io.TextIOBase):
        def __init__(self, name, fd):
            self.name = name
            self._fd = fd

        def writable(self):
            return True

        def write(self, text):
            if not isinstance(text, str):
                raise TypeError("write() argument must be str, not %s" % type(text).__name__)
            if text and os.getpid() != DRIVER_PID:
                # A forked child (multiprocessing) writes to the captured fd, never to the messages.
                os.write(self._fd, text.encode("utf-8", "replace"))
            else:
                for start in range(0, len(text), STREAM_CHUNK):
                    send("stream", {"name": self.name, "text": text[start : start + STREAM_CHUNK]})
            return len(text)

        def fileno(self):
            return self._fd

        def isatty(self):
            return False

        @property
        def encoding(self):
            return "utf-8"

    sys.stdout = Stream("stdout", 1)
    sys.stderr = Stream("stderr", 2)
    sys.stdin = io.StringIO("")  # no input in batch runs: input() raises EOFError

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    send(
        "ready",
        {
            "language_info": {
                "name": "python",
                "version": platform.python_version(),
                "mimetype": "text/x-python",
                "file_extension": ".py",
                "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
                "pygments_lexer": "ipython%d" % sys.version_info[0],
                "nbconvert_exporter": "python",
            }
        },
    )

    for line in requests:
        request = json.loads(line)
        ok = run_cell(request["code"], request["cell"], request["execution_count"], namespace, send)
        sys.__stdout__.flush()
        sys.__stderr__.flush()
        send("done", {"status": "ok" if ok else "error"})


def run_cell(code, cell, execution_count, namespace, send):
    filename = "<cell %d>" % cell
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        tree = ast.parse(code, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                namespace["_"] = value
                send(
                    "execute_result",
                    {"execution_count": execution_count, "data": {"text/plain": repr(value)}, "metadata": {}},
                )
        return True
    except BaseException as error:  # noqa: B902 - a cell's SystemExit or KeyboardInterrupt is its failure too
        tb = error.__traceback__
        # Drop this driver's own frames: the traceback starts in the cell, as in Jupyter.
        while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next
        lines = "".join(traceback.format_exception(type(error), error, tb)).rstrip("\n").split("\n")
        send("error", {"ename": type(error).__name__, "evalue": str(error), "traceback": lines})
        return False


if __name__ == "__main__":
    main()
