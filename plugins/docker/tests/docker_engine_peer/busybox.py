"""A test image without a registry: the host's static busybox, serving a page with `httpd`.

Besides the page, CGI scripts: `whoami` (which replica answered), `work` (a
request that counts) and `metrics` (that count for Prometheus to scrape).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import docker

#: Debian's busybox-static.
BUSYBOX = Path("/bin/busybox")
#: The page the image's httpd serves at `/`.
PAGE = "vertice busybox httpd works\n"
#: A CGI script the image's httpd runs at `/cgi-bin/whoami`: it answers the container's
#: hostname, so a test can tell which replica answered a request.
WHOAMI = '#!/bin/sh\necho "Content-Type: text/plain"\necho\nhostname\n'
#: Where the container counts the requests `/cgi-bin/work` answered: one byte each,
#: appended (an append of one byte is atomic, so concurrent requests lose no count).
COUNTS = "/tmp/requests"
#: A CGI script at `/cgi-bin/work`: a request that counts (the load a scaler follows).
WORK = f'#!/bin/sh\nprintf x >> {COUNTS}\necho "Content-Type: text/plain"\necho\necho done\n'
#: The counter of `/cgi-bin/work`'s requests in Prometheus' text format, at `/cgi-bin/metrics`
#: (what Prometheus scrapes from each replica).
METRICS = (
    '#!/bin/sh\necho "Content-Type: text/plain; version=0.0.4"\necho\n'
    "echo '# TYPE busybox_requests_total counter'\n"
    f'echo "busybox_requests_total $(cat {COUNTS} 2>/dev/null | wc -c)"\n'
)


def busybox_rootfs(page: str = PAGE) -> bytes:
    """A tar of a root filesystem: `/bin/busybox` with its applet links, `/www/index.html`
    and the CGI scripts `/www/cgi-bin/whoami`, `work` and `metrics`."""
    listing = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as rootfs:
        for folder, mode in (("bin", 0o755), ("www", 0o755), ("www/cgi-bin", 0o755),
                             ("tmp", 0o1777)):  # fmt: skip
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, mode
            rootfs.addfile(info)
        rootfs.add(str(BUSYBOX), arcname="bin/busybox")
        for applet in listing.stdout.split():
            if applet != "busybox":
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                rootfs.addfile(link)
        for name, text, mode in (("www/index.html", page, 0o644),
                                 ("www/cgi-bin/whoami", WHOAMI, 0o755),
                                 ("www/cgi-bin/work", WORK, 0o755),
                                 ("www/cgi-bin/metrics", METRICS, 0o755)):  # fmt: skip
            content = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(content), mode
            rootfs.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def import_busybox(client: docker.DockerClient, image: str) -> str:
    """Import the busybox rootfs as `image` (a full `localhost/name:tag` reference)."""
    repository, tag = image.rsplit(":", 1)
    client.api.import_image_from_data(
        busybox_rootfs(),
        repository=repository,
        tag=tag,
        changes=["ENV PATH=/bin", 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]'],
    )
    return image
