"""The snapshot controller: makes and deletes the images snapshots ask for (see docs/day2.md)."""
