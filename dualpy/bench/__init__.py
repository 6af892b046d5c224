"""`dualpy bench`: kernels and pyperformance on an image's two builds, and their statistics."""
