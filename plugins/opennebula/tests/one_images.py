"""The peer's image pool: the images VMs boot from, and those `one.vm.disksaveas` makes.

It follows oned's rules where the driver depends on them (OpenNebula/one, 6.10):

* image states (include/Image.h, image.xsd): INIT 0, READY 1, USED 2, DISABLED 3,
  LOCKED 4, ERROR 5, CLONE 6, DELETE 7, USED_PERS 8, LOCKED_USED 9,
  LOCKED_USED_PERS 10;
* a VM's DISK with an IMAGE_ID acquires the image (ImageManager::acquire_image):
  READY -> USED, LOCKED -> LOCKED_USED, one more RUNNING_VMS; INIT, DISABLED,
  ERROR, DELETE and CLONE refuse (`Cannot acquire image N, it is in state: X`,
  which the VM's allocation reports as `DISK 0: ...`); the VM reaching DONE
  releases it (ImageManager::release_image: the last VM gone, USED -> READY);
* `one.vm.disksaveas` (VirtualMachineDiskSaveas in src/rm/RequestManagerVirtualMachine.cc)
  makes an image named as asked, of the source image's TYPE, with SAVED_IMAGE_ID,
  SAVED_DISK_ID, SAVED_VM_ID and SAVE_AS_HOT in its TEMPLATE, LOCKED while the
  disk is copied; LifeCycleManager::trigger_saveas_success then drops
  SAVE_AS_HOT and unlocks it (READY). A name the user has already: ALLOCATE,
  `NAME is already taken by IMAGE N.` (ImagePool::allocate);
* `one.image.delete` (ImageDelete in src/rm/RequestManagerDelete.cc,
  ImageManager::delete_image): a locked image, without force: INTERNAL `Image
  locked, use --force flag...`; one in use: ACTION `Cannot delete image. There
  are N VMs using it.`; otherwise DELETE while the datastore removes its file,
  then gone;
* `one.image.update` replaces (0) or merges (1) the TEMPLATE; `one.image.rename`
  refuses a name the owner has already with ACTION (src/rm/RequestManagerRename.cc).

Transitions (the copy, the datastore's delete) take `copy_steps` steps of the
cloud's `step` and are applied lazily, as the VMs' are.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import attrs

NO_EXISTS, ACTION, INTERNAL, ALLOCATE = 0x400, 0x800, 0x2000, 0x4000
INIT, READY, USED, DISABLED, LOCKED, ERROR, CLONE, DELETE = range(8)
USED_PERS, LOCKED_USED, LOCKED_USED_PERS = 8, 9, 10
STATE_NAMES = ("INIT", "READY", "USED", "DISABLED", "LOCKED", "ERROR", "CLONE", "DELETE",
               "USED_PERS", "LOCKED_USED", "LOCKED_USED_PERS")  # fmt: skip
#: Image TYPE codes (image.xsd's TYPE) and their template names.
TYPES = ("OS", "CDROM", "DATABLOCK", "KERNEL", "RAMDISK", "CONTEXT", "BACKUP")
_LOCKED = frozenset({LOCKED, LOCKED_USED, LOCKED_USED_PERS})


class OneFailure(Exception):
    """A call oned answers with `[false, message, code, object id]`."""

    def __init__(self, code: int, message: str, object_id: int = -1) -> None:
        super().__init__(message)
        self.code, self.message, self.object_id = code, message, object_id


@attrs.define
class Image:
    """One image as oned keeps it."""

    id: int
    name: str
    uid: int
    uname: str
    state: int
    type: int
    size: int
    template: dict[str, Any]
    regtime: int = attrs.Factory(lambda: int(time.time()))
    prev_state: int = 0
    #: The VMs using it (RUNNING_VMS is how many).
    vms: set[int] = attrs.Factory(set)
    plan: list[tuple[float, int]] = attrs.Factory(list)

    @property
    def source(self) -> str:
        return f"/var/lib/one//datastores/1/{self.id:032x}"


class ImagePool:
    """The images of one oned (guarded by the cloud's lock)."""

    def __init__(self, step: float, copy_steps: int = 4) -> None:
        self.step = step
        self.copy_steps = copy_steps
        self.next_id = 2
        self.images: dict[int, Image] = {
            0: Image(0, "ubuntu-22.04", 0, "oneadmin", READY, 0, 2252, {"DEV_PREFIX": "vd"}),
            1: Image(1, "alma-9", 0, "oneadmin", READY, 0, 10240, {"DEV_PREFIX": "vd"}),
        }

    def tick(self, now: float) -> None:
        """Apply every transition whose time has come (DELETE ends with the image gone)."""
        for image in list(self.images.values()):
            while image.plan and image.plan[0][0] <= now:
                _, state = image.plan.pop(0)
                if state == DELETE and image.state == DELETE:
                    del self.images[image.id]
                    break
                self._move(image, state)
                image.template.pop("SAVE_AS_HOT", None)

    def _move(self, image: Image, state: int) -> None:
        image.prev_state, image.state = image.state, state

    def _later(self, image: Image, state: int) -> None:
        image.plan = [(time.monotonic() + self.copy_steps * self.step, state)]

    def get(self, image_id: int, method: str) -> Image:
        """The image, or oned's NO_EXISTS answer."""
        image = self.images.get(image_id)
        if image is None:
            raise OneFailure(NO_EXISTS, f"[{method}] Error getting image [{image_id}].", image_id)
        return image

    def _named(self, name: str, uid: int) -> Image | None:
        return next((i for i in self.images.values() if i.name == name and i.uid == uid), None)

    # -- VMs --

    def acquire(self, vm_id: int, disks: list[dict[str, Any]], method: str) -> list[dict[str, Any]]:
        """The VM's DISKs, their images acquired and described as oned does; nothing is
        acquired when one refuses (ALLOCATE)."""
        for index, disk in enumerate(disks):
            if "IMAGE_ID" not in disk:
                continue
            image = self.images.get(int(disk["IMAGE_ID"]))
            why = f"Image with ID: {disk['IMAGE_ID']} does not exist"
            if image is not None:
                why = (f"Cannot acquire image {image.id}, it is in state: "
                       f"{STATE_NAMES[image.state]}")  # fmt: skip
            if image is None or image.state not in (READY, USED, LOCKED, LOCKED_USED):
                raise OneFailure(
                    ALLOCATE, f"[{method}] Error allocating a new virtual machine. DISK {index}: "
                    f"{why}"
                )  # fmt: skip
        described = []
        for index, disk in enumerate(disks):
            described.append({**disk, "DISK_ID": str(index), "DEV_PREFIX": "vd",
                              "TARGET": f"vd{'abcdefgh'[index]}", "TYPE": "FILE"})  # fmt: skip
            if "IMAGE_ID" in disk:
                image = self.images[int(disk["IMAGE_ID"])]
                image.vms.add(vm_id)
                if image.state == READY:
                    self._move(image, USED)
                elif image.state == LOCKED:
                    self._move(image, LOCKED_USED)
                described[-1] |= {"CLONE": "YES", "CLONE_TARGET": "SYSTEM", "DATASTORE": "default",
                                  "DATASTORE_ID": "1", "IMAGE": image.name, "IMAGE_STATE": "2",
                                  "READONLY": "NO", "SAVE": "NO", "SIZE": str(image.size),
                                  "SOURCE": image.source, "TM_MAD": "ssh"}  # fmt: skip
        return described

    def release(self, vm_id: int, disks: list[dict[str, Any]]) -> None:
        """A VM reached DONE: its images are one VM less used."""
        for disk in disks:
            image = self.images.get(int(disk.get("IMAGE_ID", -1)))
            if image is None or vm_id not in image.vms:
                continue
            image.vms.discard(vm_id)
            if not image.vms and image.state in (USED, LOCKED_USED):
                self._move(image, READY if image.state == USED else LOCKED)

    def save_as(self, vm_id: int, disk: dict[str, Any], name: str, kind: str, user: tuple[int, str]
                ) -> Image:  # fmt: skip
        """A new image for `one.vm.disksaveas`, LOCKED until the copy is done."""
        method = "one.vm.disksaveas"
        taken = self._named(name, user[0])
        if taken is not None:
            raise OneFailure(
                ALLOCATE,
                f"[{method}] Error allocating a new image. NAME is already taken by IMAGE "
                f"{taken.id}.",
            )
        source = self.images[int(disk["IMAGE_ID"])]
        type_code = TYPES.index(kind) if kind in TYPES else source.type
        template = {"DEV_PREFIX": "vd", "SAVED_DISK_ID": str(disk["DISK_ID"]),
                    "SAVED_IMAGE_ID": str(source.id), "SAVED_VM_ID": str(vm_id),
                    "SAVE_AS_HOT": "YES"}  # fmt: skip
        image = Image(self.next_id, name, user[0], user[1], LOCKED, type_code, source.size,
                      template)  # fmt: skip
        self.next_id += 1
        self.images[image.id] = image
        self._later(image, READY)
        return image

    # -- one.image.* --

    def update(self, image_id: int, template: dict[str, Any], merge: int) -> None:
        image = self.get(image_id, "one.image.update")
        image.template = {**image.template, **template} if merge else copy.deepcopy(template)

    def rename(self, image_id: int, name: str) -> None:
        image = self.get(image_id, "one.image.rename")
        taken = self._named(name, image.uid)
        if taken is not None and taken.id != image.id:
            raise OneFailure(
                ACTION,
                f"[one.image.rename] IMAGE cannot be renamed to {name} because it collides "
                f"with IMAGE {taken.id}",
                image_id,
            )
        image.name = name

    def delete(self, image_id: int, force: bool) -> None:
        method = "one.image.delete"
        image = self.get(image_id, method)
        if image.state in _LOCKED and not force:
            raise OneFailure(
                INTERNAL,
                f"[{method}] Image locked, use --force flag to remove the image. Force delete "
                "may leave some files on Datastore",
                image_id,
            )
        if image.vms:
            raise OneFailure(
                ACTION,
                f"[{method}] Cannot delete image. There are {len(image.vms)} VMs using it.",
                image_id,
            )
        self._move(image, DELETE)
        self._later(image, DELETE)

    def listing(self, start: int, end: int) -> list[Image]:
        """The pool as `one.imagepool.info` reads it: an id range, or a page (`end` < -1)."""
        images = sorted(self.images.values(), key=lambda i: i.id)
        if end < -1:  # pagination: `start` is the offset, -`end` the page size
            return images[start : start - end]
        return [i for i in images if i.id >= start and (end == -1 or i.id <= end)]
