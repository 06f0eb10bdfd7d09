"""A stored file as an HTTP answer: streamed from the store in blocks, or, with
``REGULAB_STORAGE_REDIRECT_DOWNLOADS`` on a store that can presign (``s3://``), a 307
to a URL that serves it for ``REGULAB_STORAGE_PRESIGN_SECONDS``."""

from __future__ import annotations

from fastapi import status
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from service.api.deps import AppContext
from service.artifacts import StoredFile, chunks


def file_response(ctx: AppContext, file: StoredFile) -> Response:
    """Called on the threadpool (opening a stored file is blocking I/O)."""
    headers = {}
    if file.filename is not None:
        headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    if ctx.settings.storage_redirect_downloads:
        url = ctx.artifacts.presigned_url(file, ctx.settings.storage_presign_seconds)
        if url is not None:
            return RedirectResponse(url, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    stream = ctx.artifacts.open(file.key)
    return StreamingResponse(chunks(stream), media_type=file.media_type, headers=headers)


#: The redirect, as the OpenAPI document describes it on every download.
REDIRECT: dict[int | str, dict[str, str]] = {
    307: {
        "description": "With REGULAB_STORAGE_REDIRECT_DOWNLOADS on s3:// storage: the "
        "file's presigned URL in Location, valid REGULAB_STORAGE_PRESIGN_SECONDS."
    }
}
