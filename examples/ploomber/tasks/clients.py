import shutil
from pathlib import Path

try:
    from ploomber.clients import LocalStorageClient
except ImportError:
    # Without Ploomber installed: the same interface, a folder mirroring the project's products.
    class LocalStorageClient:
        def __init__(self, path_to_backup_dir):
            self._backup = Path(path_to_backup_dir).resolve()

        def _remote(self, local):
            return self._backup / Path(local).resolve().relative_to(Path.cwd())

        def upload(self, local):
            remote = self._remote(local)
            remote.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(local, remote)

        def download(self, local, destination=None):
            remote = self._remote(local)
            if not remote.exists():
                raise FileNotFoundError(remote)
            shutil.copy(remote, destination or local)


def get(folder="backup"):
    return LocalStorageClient(folder)
