"""Where CPython comes from: release recipes, the Debian archive, its signed index, the fetched tarballs."""
