"""Notebook kernels for the test suite that talk over Unix sockets instead of loopback TCP ports.

jupyter_client picks a kernel's five TCP ports by binding port 0 and letting go; the kernel binds
them a moment later. With three test workers starting labs, one of those servers can take a port
in that moment, most likely what happened when notebook 12's kernel never answered ("Kernel didn't
respond in 60 seconds", every cell an error, in one run of five). A Unix socket in a folder of this
process' own cannot be taken. The notebooks themselves are unchanged: JupyterLab still starts kernels its own way.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import HasTraits, default

SOCKETS = Path(tempfile.mkdtemp(prefix="lab-kernels-"))
atexit.register(shutil.rmtree, SOCKETS, ignore_errors=True)


def _socket_prefix() -> str:
    # The kernel's sockets are <prefix>-1 ... <prefix>-5; an absolute path, because a kernel
    # started in notebooks/ and its client in the repository root must name the same files.
    return str(SOCKETS / uuid.uuid4().hex[:12])


class _OverUnixSockets(HasTraits):
    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default(self) -> str:
        return _socket_prefix()


class IpcKernelManager(_OverUnixSockets, KernelManager):
    """jupyter_client's KernelManager with ``transport="ipc"`` and sockets in :data:`SOCKETS` (nbval uses it)."""


class AsyncIpcKernelManager(_OverUnixSockets, AsyncKernelManager):
    """The same for nbclient: ``NotebookClient(..., kernel_manager_class=AsyncIpcKernelManager)``."""
