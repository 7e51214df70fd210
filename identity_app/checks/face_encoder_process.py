"""dlib's face encoder in a helper process, so it does not hold this process's GIL.

`compute_face_descriptor` keeps the GIL for its whole run (~75 ms per face
here): while it runs, every other Python thread of the process waits (a
pure-Python loop ran 18x slower beside it). The check worker runs the
document checks on one thread while this thread encodes faces, so the
encodings stalled OCR. Sent to a child process, an encoding waits on a pipe
instead, with the GIL released.

The child is a plain subprocess (the check worker's processes are daemonic
and may not start multiprocessing children). Protocol on its stdin/stdout:
the parent writes a 150x150x3 RGB face chip (dlib.get_face_chip, uint8),
the child answers with 128 float64 values. The child exits when its stdin
closes, so it never outlives its parent.

    python -m identity_app.checks.face_encoder_process   # the child's side
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np

_ROOT = Path(__file__).resolve().parents[2]
CHIP_SIZE = 150
CHIP_BYTES = CHIP_SIZE * CHIP_SIZE * 3
DESCRIPTOR_BYTES = 128 * 8


class EncoderProcess:
    """One child process encoding face chips, one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        # The project root on the child's path, whatever the parent's working directory; the
        # child's errors go to the parent's stderr (the worker log).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
        proc = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                env=env)
        self._proc = proc
        return proc

    def start(self) -> None:
        """Start the child and wait until its model is loaded (a first encoding)."""
        self.encode(np.zeros((CHIP_SIZE, CHIP_SIZE, 3), np.uint8))

    def encode(self, chip: np.ndarray) -> np.ndarray:
        """128-d descriptor of an aligned 150x150 RGB chip. A child that died is restarted once."""
        data = np.ascontiguousarray(chip, dtype=np.uint8)
        if data.shape != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"a face chip is {CHIP_SIZE}x{CHIP_SIZE}x3, not {data.shape}")
        with self._lock:
            for attempt in (1, 2):
                proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
                try:
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(data.tobytes())
                    proc.stdin.flush()
                    answer = _read_exactly(proc.stdout, DESCRIPTOR_BYTES)
                    return np.frombuffer(answer, dtype=np.float64).copy()
                except (BrokenPipeError, EOFError, OSError):
                    self.stop()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def cpu_seconds(self) -> float:
        """CPU time the child has used so far (Linux /proc; 0.0 where that is not available)."""
        proc = self._proc
        try:
            with open(f"/proc/{proc.pid}/stat") as fh:  # type: ignore[union-attr]
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (AttributeError, OSError, ValueError, IndexError):
            return 0.0

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EOFError("the face encoder process ended")
        buf += chunk
    return bytes(buf)


def _serve() -> None:
    from identity_app.checks import face_models

    encoder = face_models.face_encoder()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            chip = np.frombuffer(_read_exactly(stdin, CHIP_BYTES), np.uint8).reshape(CHIP_SIZE, CHIP_SIZE, 3)
        except EOFError:
            return  # the parent closed the pipe or died
        descriptor = np.asarray(encoder.compute_face_descriptor(chip), dtype=np.float64)
        stdout.write(descriptor.tobytes())
        stdout.flush()


if __name__ == "__main__":
    _serve()
