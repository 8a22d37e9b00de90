"""A model folder shared on the Hugging Face Hub, as the book's chapter ends (`trainer.push_to_hub()`): one commit
of exactly the files a dry run lists, after every check that can fail has passed.

The plan (folder complete, card present, repo id valid, files, commit message) is made offline; the token, the
network and the rights to the repo are checked before any file is sent, each failure one line. The local folder is
only read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from emotion.inference.hf_folder import HF_FOLDER, model_labels
from emotion.utils.code_version import code_commit
from emotion.utils.hub import SourceError, first_line, hub_unreachable


class ShareError(SourceError):
    """A push that cannot start: no token, no network, a refused token or repo, a folder not ready to share."""


@dataclass(frozen=True)
class Upload:
    folder: Path
    repo_id: str
    private: bool
    files: tuple[tuple[str, int], ...]  # relative path, bytes
    message: str

    def describe(self) -> str:
        total = sum(size for _, size in self.files)
        lines = [
            f"would create {'private ' if self.private else ''}model repo {self.repo_id} (if new) and commit to it:",
            f"  message: {self.message}",
            f"  {len(self.files)} files, {total / 1e6:.1f} MB:",
            *(f"    {name}  ({size:,} bytes)" for name, size in self.files),
        ]
        return "\n".join(lines)


def plan_upload(folder: Path, repo_id: str, private: bool = False) -> Upload:
    """What a push of `folder` to `repo_id` would send, checked without the network."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    folder = Path(folder)
    model_labels(folder)  # a complete folder whose classes read back
    if not (folder / "README.md").is_file():
        raise ShareError(
            f"{folder}: no model card (README.md); a training run's {HF_FOLDER}/ and `python -m emotion.export` "
            "write one"
        )
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise ShareError(f"--repo-id {repo_id!r}: not a valid Hub repo id ({first_line(err)[:200]})") from None
    if repo_id.count("/") != 1:
        raise ShareError(f"--repo-id {repo_id!r}: give it as NAME/REPO (your user or organisation, then the model)")
    files = tuple(
        (path.relative_to(folder).as_posix(), path.stat().st_size)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    return Upload(folder, repo_id, private, files, commit_message(folder))


def commit_message(folder: Path) -> str:
    """Names the run (or export) the folder came from and the commit of the code that made it."""
    if folder.name == HF_FOLDER:  # a training run's folder, beside the run's metrics.json
        record, run = folder.parent / "metrics.json", f"training run {folder.parent.name}"
    else:
        record, run = folder / "export_report.json", f"export {folder.name}"
    if not record.is_file():
        return f"Upload {folder.name} (emotion code {code_commit()}, at upload)"
    try:
        made_by = json.loads(record.read_text(encoding="utf-8")).get("code_commit", "unknown")
    except (OSError, ValueError, AttributeError):
        made_by = "unknown"
    return f"Upload {run} (emotion code {made_by})"


def push(upload: Upload, token: str | None = None) -> str:
    """Creates the repo if new and uploads the files as one commit; returns the commit's URL. The token is checked
    (`whoami`) and the repo created before any file is sent."""
    from huggingface_hub import HfApi, get_token

    token = token or get_token()
    if not token:
        raise ShareError("no Hugging Face token: run `hf auth login`, or set HF_TOKEN; no commit was made")
    api = HfApi(token=token)
    with refusals(upload.repo_id):
        api.whoami()
        api.create_repo(upload.repo_id, private=upload.private, exist_ok=True, repo_type="model")
        info = api.upload_folder(
            folder_path=upload.folder,
            repo_id=upload.repo_id,
            repo_type="model",
            commit_message=upload.message,
            allow_patterns=[name for name, _ in upload.files],
        )
    return str(info.commit_url)


@contextmanager
def refusals(repo_id: str) -> Iterator[None]:
    """The Hub's answers as one line each: unreachable, token refused (401), repo not this token's (403), other."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        yield
    except Exception as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        unreachable = hub_unreachable(err)
        if not (status or unreachable or isinstance(err, (HfHubHTTPError, OSError))):
            raise
        if status == 401:
            reason = "the Hub refused the token (401): run `hf auth login` again or set a valid HF_TOKEN"
        elif status == 403:
            reason = f"the Hub refused to let this token write to {repo_id} (403): use a token with write access"
        elif unreachable:
            reason = f"cannot reach the Hugging Face Hub ({first_line(err)[:160]})"
        else:
            reason = f"pushing to {repo_id}: {first_line(err)[:200]}"
        raise ShareError(f"{reason}; no commit was made") from None  # a Hub commit is all its files or none
