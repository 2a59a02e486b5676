"""The disk controller: disks made, attached, grown, detached and deleted in their clouds."""
