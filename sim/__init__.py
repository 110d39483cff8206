"""tis-sim: technology diffusion through integration specialists (Mesa 3)."""
