"""Run notebook cells one at a time in this interpreter, for nbpipe's embedded python executor.

Standard library only. nbpipe writes one JSON request per line on fd 3 ({"code": ..., "cell": ...})
and reads JSON messages, one per line, on fd 4, shaped like Jupyter's IOPub messages:
stream, execute_result and error, then {"msg_type": "done"} after each cell. Writes to
sys.stdout/sys.stderr become stream messages; output written straight to file descriptors 1 and 2
(by subprocesses, C extensions) reaches nbpipe on those pipes. Like a kernel, the value of a
cell's last expression is reported with repr(), and a traceback stops at the cell's own frames.
"""

import ast
import builtins
import io
import json
import linecache
import os
import platform
import sys
import traceback

REQUESTS_FD = 3
MESSAGES_FD = 4
CELL_END_MARK = b"\x00nbpipe-cell-end\x00"


def main():
    os.set_inheritable(REQUESTS_FD, False)
    os.set_inheritable(MESSAGES_FD, False)
    requests = io.open(REQUESTS_FD, "r", encoding="utf-8", newline="\n")
    messages = io.open(MESSAGES_FD, "w", encoding="utf-8", newline="\n")

    def send(msg_type, content=None):
        messages.write(json.dumps({"msg_type": msg_type, "content": content or {}}) + "\n")
        messages.flush()

    class Stream(io.TextIOBase):
        def __init__(self, name, fd):
            self.name = name
            self._fd = fd

        def writable(self):
            return True

        def write(self, text):
            if not isinstance(text, str):
                raise TypeError("write() argument must be str, not %s" % type(text).__name__)
            if text:
                send("stream", {"name": self.name, "text": text})
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
        sys.stdout.flush()
        sys.stderr.flush()
        # Mark the end of the cell on fds 1 and 2: nbpipe reads those pipes up to the mark before it
        # closes the cell, so a subprocess's output cannot arrive after the cell's "done".
        os.write(1, CELL_END_MARK)
        os.write(2, CELL_END_MARK)
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
